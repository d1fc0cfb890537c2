// Package hl7json converts HL7 v2 messages to JSON and back.
//
// The JSON is an array of segments, each an array whose index 0 is the segment name and index
// n is field n, so that PID-5 is segments[i][5] as in the standard's numbering (MSH-1 is the
// field separator, MSH-2 the encoding characters). A field is a string when it holds no
// repetition, component or sub-component separator, and otherwise an array of repetitions; a
// repetition is a string or an array of components; a component is a string or an array of
// sub-components. Strings are decoded text: escape sequences are decoded, and they are
// escaped again when the JSON is read back.
//
// Unmarshal(Marshal(m)) gives a message whose Bytes are m's, byte for byte, when m was not
// edited: delimiters travel in MSH-1 and MSH-2, trailing delimiters as empty strings, segment
// terminators and blank lines in "terminator" and "trails", bytes before the header in
// "prefix", and text whose escapes are not the canonical ones (\.br\, \H\, \X41\) as an
// object {"raw": ..., "text": ...}. docs/hl7json.md describes the shape in full.
package hl7json
