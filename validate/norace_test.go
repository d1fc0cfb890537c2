//go:build !race

package validate

// raceEnabled reports a -race build, where sync.Pool drops a share of what is put back (the
// validator's scratch), so allocation counts do not hold.
const raceEnabled = false
