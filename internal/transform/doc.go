// Package transform is Courier's message processing: a filter expression and ordered steps
// that edit, translate, reshape, split, build, route and encode HL7 v2 messages, as a channel
// or a destination configures them.
//
// Each step kind has a constructor taking plain Go values (Set, Copy, Move, Delete, Map,
// AddSegment, MoveSegment, RenameSegment, MergeSegment, OrderSegments, Format, Split, Build,
// Route, Filter, Script, Encode); NewPipeline compiles their expressions, tables and scripts
// once, and the Pipeline runs them on each message, concurrently, as an engine.Processor.
// FromConfig builds a Pipeline from a channel's or a destination's YAML (Fields, Register).
//
// Expressions are github.com/expr-lang/expr with HL7 paths as values: PID["5.1"],
// OBX[2]["5"], seg["3"] for the segment a step works on, and helpers (get, exists, values,
// count, lookup, date, now, num, digits, pad). Scripts are JavaScript run by
// github.com/dop251/goja in pooled, time-limited machines with a small API (msg, tables, log,
// channel). docs/transform.md is the reference for analysts.
package transform
