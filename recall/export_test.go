package recall

// WithoutAVX2 makes the vector kernel gonum's until the returned restore
// is called (tests of the fallback on machines that have AVX2). Not safe
// while other tests run in parallel.
func WithoutAVX2() (restore func()) {
	old := useAVX2
	useAVX2 = false
	return func() { useAVX2 = old }
}
