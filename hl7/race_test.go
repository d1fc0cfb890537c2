//go:build race

package hl7

// raceEnabled reports a -race build, whose instrumentation changes allocation counts.
const raceEnabled = true
