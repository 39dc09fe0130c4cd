package match

// EqualContent is equalContent, for the external tests.
var EqualContent = equalContent

// SetInterestWindow sets interestRows' window and batch sizes and returns
// a function that restores them.
func SetInterestWindow(window, batch int) (restore func()) {
	w, b := interestWindow, interestBatch
	interestWindow, interestBatch = window, batch
	return func() { interestWindow, interestBatch = w, b }
}
