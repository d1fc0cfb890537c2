package hl7_test

import (
	"fmt"

	"github.com/courier-hl7/courier/hl7"
)

// A channel edits a clone of each message it receives. Once it has stored what it made (a
// copy: Bytes of an edited message, values read with String), it releases the clone, and the
// next message edits in the same memory.
func ExampleMessage_Release() {
	received, _ := hl7.Parse([]byte(adt))
	for _, name := range []string{"SMITH", "JONES"} {
		m := received.Clone()
		_ = m.Set("PID-5.1", name)
		stored := m.Bytes()            // a new slice: it outlives m
		family := m.Get("PID-5.1")     // a copy too
		segment := m.Segment(1).Name() // segment names stay valid
		m.Release()                    // nothing reads m from here on
		fmt.Println(family, segment, len(stored) > 0, m.NumSegments())
	}
	fmt.Println(received.Get("PID-5.1")) // the parsed message is untouched
	// Output:
	// SMITH PID true 0
	// JONES PID true 0
	// O&BRIEN
}
