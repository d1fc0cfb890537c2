//go:build !race

package mllp

// raceEnabled reports a -race build, whose instrumentation inflates memory figures.
const raceEnabled = false
