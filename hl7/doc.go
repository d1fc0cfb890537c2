// Package hl7 reads and writes HL7 version 2 messages exactly.
//
// A Message is an index over the bytes it was parsed from: parsing finds the segments and the
// field separators and nothing else, so it costs a few allocations whatever the size of the
// message. Repetitions, components and sub-components are found when they are asked for.
//
// Encoding an unmodified Message gives back the input bytes, always: odd segment terminators,
// trailing delimiters, empty repetitions and unknown escapes included. Editing a field rebuilds
// only the bytes of that field's segment; every other byte stays as it came.
//
// Values have three states, as HL7 defines them: absent (the position does not exist in the
// message), empty (the position exists and holds nothing) and null (the field holds the two
// characters "", which tells the receiver to delete what it has).
//
// Paths address values in the notation analysts use: PID-5.1, PID-3[2].1, OBX[2]-5, PID-5.1.2,
// and the variants PID-5-1 and PID.5.1. Indexes start at 1. MSH-1 is the field separator and
// MSH-2 the encoding characters, counted the HL7 way.
//
// Text is decoded at the leaf: escape sequences (\F\ \S\ \T\ \R\ \E\ \P\ \Xhh\ \.br\ ...) are
// decoded when a value is read with String, and encoded when a value is written with Set. Raw
// returns the bytes as they are in the message.
//
// Typed views read data types over the same bytes: v.XPN().FamilyName(), v.CX().ID(),
// v.CWE().Identifier(), v.Time() for TS/DTM with the sender's precision kept, v.Number() for NM.
//
// Files with many messages, and FHS/BHS batches, are read with ParseFile, or streamed with
// NewReader in constant memory. Acknowledgements are built with Message.ACK.
//
// A Message is safe for concurrent readers. Writers need exclusive access.
package hl7
