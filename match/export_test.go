package match

// EqualContent is equalContent, for the external tests.
var EqualContent = equalContent
