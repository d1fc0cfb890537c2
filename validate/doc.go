// Package validate tells whether an HL7 v2 message is what a receiver expects: the segments in
// the order and groups its message structure allows, required fields present, repetitions and
// lengths within limits, values well formed for their data types, codes from their tables; and,
// on top of the standard, what a conformance profile or a file of custom rules asks for.
//
// A Validator is built once from Options (New compiles profiles and rules, and each version's
// definitions on first use) and is safe for concurrent use. Validate reads a parsed message and
// never changes it; the message need not be "typed" first, since validation works on the same
// lossless index that package hl7 parses into:
//
//	v, err := validate.New(validate.Options{})
//	res := v.Validate(msg)
//	if !res.Valid() {
//		ack, _ := msg.ACK(hl7.AckOptions{Code: hl7.AckAE, Errors: res.AckErrors()})
//	}
//
// A Result lists Issues, each with a severity (HL7 table 0516: E, W, I), an error code (HL7
// table 0357: 100 segment sequence, 101 required field missing, 102 data type, 103 table value,
// 104 value too long), the path of the problem as precisely as it is known (OBX[3]-5.2), its
// byte offset in the message, and a sentence that says what is wrong, where, and what was
// expected. A message is valid when no issue has severity Error.
//
// The definitions come from package hl7/dict (v2.1 to v2.7.1). A message of a version without
// definitions (2.8, 2.9) is validated against the newest, and the Result says so. The rules
// this package applies where the standard leaves room — lengths per version, which table
// misses are errors, how segments are matched to groups — are in docs/validate.md.
package validate
