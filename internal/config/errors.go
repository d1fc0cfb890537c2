package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Position is a place in a configuration file. Line and Col are 1-based; a zero Line means the
// problem concerns the file as a whole.
type Position struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", or only the file name when the line is unknown.
func (p Position) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is one problem in a configuration file: where it is, which value it concerns, and what
// is wrong with it.
type Error struct {
	Pos  Position
	Path string // the value's path, like channels[2].destinations[0].tls.ca; empty for the root
	Msg  string
	Err  error // the cause, when there is one (reading a secret file); shown after Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Error returns "file:line:col: path: msg", leaving out the path when it is empty; a cause
// follows the message after ": ".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Errors holds every problem found in a configuration, so that one run of courier lint shows
// them all. Decode returns it sorted by position; constructors that find problems of their
// own (a reference to a channel that does not exist, a port already in use) append to it with
// Node.Errorf and return Errors.Err().
type Errors []*Error

// Error returns one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as a slice of errors, so that errors.As finds an *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Err sorts the problems by position and returns them as an error, or nil if there are none.
// It returns an error value that is nil when es is empty, avoiding the typed-nil trap of
// returning an empty Errors as an error.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.sort()
	return es
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
}

// ErrorsUnder reports whether a problem of es is at path or inside it ("channels[2]" holds
// "channels[2].source.port" but not "channels[20]").
func (es Errors) ErrorsUnder(path string) bool {
	for _, e := range es {
		if rest, ok := strings.CutPrefix(e.Path, path); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// AsErrors returns the configuration problems carried by err: the list when err is (or wraps)
// an Errors, a list of one when it is an *Error, and nil otherwise.
func AsErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return nil
}
