package hl7

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors wrapped by ParseError and returned by the path functions. Test with errors.Is.
var (
	// ErrNoHeader means the data does not start with an MSH (or FHS/BHS) segment.
	ErrNoHeader = errors.New("message does not start with an MSH segment")
	// ErrDelimiters means MSH-1/MSH-2 do not define a usable set of delimiters.
	ErrDelimiters = errors.New("invalid delimiters in MSH-1/MSH-2")
	// ErrSegmentName means a segment does not start with a three-character name.
	ErrSegmentName = errors.New("invalid segment name")
	// ErrTooLarge means the message is larger than the parser accepts.
	ErrTooLarge = errors.New("message too large")
	// ErrPath means a path string is not in a form this package reads.
	ErrPath = errors.New("invalid path")
	// ErrReadOnly means the value cannot be changed in place (MSH-1 and MSH-2 define the
	// delimiters of the whole message; use SetDelimiters).
	ErrReadOnly = errors.New("value cannot be set")
	// ErrCharset means the character set named in MSH-18 (or asked for) is not supported.
	ErrCharset = errors.New("unsupported character set")
	// ErrBatch means a batch or file envelope is malformed or its counts do not match.
	ErrBatch = errors.New("invalid batch")
	// ErrDataType means a value is not well formed for its data type (a DTM with month 13, an
	// NM with letters); the error is a *DataTypeError.
	ErrDataType = errors.New("invalid value for its data type")
)

// ParseError reports where in the input a problem was found. Positions are 1-based; a zero
// field, repetition, component or sub-component means the problem is not inside one.
type ParseError struct {
	Offset      int    // byte offset in the input, from 0
	Line        int    // 1-based line (segment) number in the input, counting every terminator
	Column      int    // 1-based byte column within that line
	Segment     int    // 1-based index of the segment in the message, 0 if before the first
	SegmentName string // name of that segment, if known
	Field       int
	Repetition  int
	Component   int
	SubComp     int
	Err         error // one of the sentinel errors above, or a more specific cause
	Detail      string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("hl7: ")
	fmt.Fprintf(&b, "line %d col %d (byte %d)", e.Line, e.Column, e.Offset)
	if e.Segment > 0 {
		fmt.Fprintf(&b, ", segment %d", e.Segment)
		if e.SegmentName != "" {
			fmt.Fprintf(&b, " (%s)", e.SegmentName)
		}
	}
	if e.Field > 0 {
		fmt.Fprintf(&b, ", field %d", e.Field)
		if e.Repetition > 0 {
			fmt.Fprintf(&b, " repetition %d", e.Repetition)
		}
		if e.Component > 0 {
			fmt.Fprintf(&b, " component %d", e.Component)
		}
		if e.SubComp > 0 {
			fmt.Fprintf(&b, " sub-component %d", e.SubComp)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// newParseError fills the line and column of off in data.
func newParseError(data []byte, off int, err error, detail string) *ParseError {
	line, col := lineCol(data, off)
	return &ParseError{Offset: off, Line: line, Column: col, Err: err, Detail: detail}
}

// lineCol returns the 1-based line and column of byte off, counting CR, LF and CRLF as one
// line end each.
func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line, start := 1, 0
	for i := 0; i < off; i++ {
		switch data[i] {
		case '\r':
			if i+1 < off && data[i+1] == '\n' {
				i++
			}
			line, start = line+1, i+1
		case '\n':
			line, start = line+1, i+1
		}
	}
	return line, off - start + 1
}

// PathError reports a path that cannot be read.
type PathError struct {
	Path   string
	Pos    int // 0-based byte position in Path where reading stopped
	Detail string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("hl7: invalid path %q at position %d: %s (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)", e.Path, e.Pos+1, e.Detail)
}

func (e *PathError) Unwrap() error { return ErrPath }

// Location returns the path of the problem, for an ERR segment: the segment name and field
// when known.
func (e *ParseError) Location() Path {
	return Path{Segment: e.SegmentName, Field: e.Field, Repetition: e.Repetition, Component: e.Component, SubComp: e.SubComp}
}

// Code returns the HL7 table 0357 error code that best describes the problem: 100 (segment
// sequence error) for a missing header or a line that is not a segment, 102 (data type error)
// for unusable delimiters, 103 (table value not found) for an unknown MSH-18 character set, 207
// (application internal error) otherwise.
func (e *ParseError) Code() string {
	switch {
	case errors.Is(e.Err, ErrNoHeader), errors.Is(e.Err, ErrSegmentName):
		return ErrCodeSegmentSequence
	case errors.Is(e.Err, ErrDelimiters):
		return ErrCodeDataType
	case errors.Is(e.Err, ErrCharset):
		return ErrCodeTableValue
	}
	return ErrCodeInternal
}
