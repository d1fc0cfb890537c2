// Package hl7xml converts HL7 v2 messages to the HL7 v2 XML encoding and back.
//
// Marshal writes the encoding of "HL7 Version 2: XML Encoding Syntax": the root element is the
// message structure (ORU_R01) in the namespace urn:hl7-org:v2xml, segments are grouped as the
// structure's groups (ORU_R01.PATIENT_RESULT), fields are named by segment and number (PID.5),
// components and sub-components by data type and number (XPN.1, FN.1), from the HL7
// dictionary of the message's version. Repetitions are repeated elements. Formatting escape
// sequences (\.br\, \H\, \X0D\...) are <escape V=".br"/> elements; delimiter escapes are the
// characters themselves. Fields whose data type is not known (Z-segments, fields beyond the
// dictionary, OBX-5 without OBX-2) name their parts SEG.field.component[.sub-component].
//
// Unmarshal reads the elements in document order and needs no dictionary: a part's number is
// the number after the last dot of its element's name. Unmarshal(Marshal(m)) gives a message
// whose Bytes are m's, byte for byte, when m was not edited; what the standard encoding cannot
// hold (segment terminators and blank lines, bytes before the header, escapes that are not
// canonical) travels in attributes of the namespace urn:courier-hl7:er7 (prefix c:), which
// other readers ignore. docs/hl7json.md describes both encodings.
package hl7xml
