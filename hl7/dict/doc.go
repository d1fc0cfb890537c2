// Package dict holds the HL7 v2 definitions as data: segments and their fields, data types
// and their components, tables of codes, and message structures with their groups, for every
// version from 2.1 to 2.7.1.
//
// The definitions are generated from the npm package hl7-dictionary 1.0.1 (MIT, by Fernando
// Serrano; see NOTICE) by go generate ./hl7/dict, and the output is committed, so building
// needs neither npm nor the network. The source has no 2.8 or later: Lookup falls back to the
// closest version and says so. docs/dict.md lists what the source means by each of its fields
// and the faults found in it, with what the generator does about each.
//
// Lookup decodes a version on first use, once. Measured with go1.26 on linux/amd64, a version
// takes 0.3 ms (2.1) to 7 ms (2.7) to decode and holds 0.1 to 1.2 MB of heap; all ten versions
// and the tables together hold 7.2 MB (BenchmarkDecodeVersion, BenchmarkLoadAll).
package dict
