package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/courier-hl7/courier/hl7"
)

// inputMessage is one message read from a file or standard input, with where it came from.
type inputMessage struct {
	Source string // file name, or "-" for standard input
	Index  int    // 1-based position in the source
	Line   int    // 1-based line where the message starts
	Msg    *hl7.Message
	Raw    []byte // the bytes of the message, also when it failed to parse
	Err    error  // the parse error; Msg is nil when set
	// Envelope marks a problem of the file's structure (batch counts, a misplaced FHS or BTS)
	// rather than of one message; Raw is nil.
	Envelope bool
}

// Where returns "file:line" for the message, or "file:line:col" of a parse error in it (the
// Reader's errors count lines from the start of the file).
func (in inputMessage) Where() string {
	var pe *hl7.ParseError
	if errors.As(in.Err, &pe) {
		return fmt.Sprintf("%s:%d:%d", in.Source, pe.Line, pe.Column)
	}
	return fmt.Sprintf("%s:%d", in.Source, in.Line)
}

// openInput opens a named file, or standard input for "-" or no name.
func openInput(name string, stdin io.Reader) (io.ReadCloser, string, error) {
	if name == "" || name == "-" {
		return io.NopCloser(stdin), "-", nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, name, err
	}
	return f, name, nil
}

// inputNames returns the names readMessages reads, as inputMessage.Source gives them: the
// named files, or "-" for standard input.
func inputNames(names []string) []string {
	if len(names) == 0 {
		return []string{"-"}
	}
	out := make([]string, len(names))
	for i, n := range names {
		if n == "" {
			n = "-"
		}
		out[i] = n
	}
	return out
}

// checkInputs makes sure each named input is a file that can be read, so that a command that
// sends can refuse before it sends anything.
func checkInputs(names []string) error {
	for _, name := range inputNames(names) {
		if name == "-" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		f.Close()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return fmt.Errorf("%s is a folder: name the files in it (%s)", name, filepath.Join(name, "*.hl7"))
		}
	}
	return nil
}

// readMessages streams every message of the named inputs (files with one or many messages,
// batches with FHS/BHS envelopes) to fn. A message that fails to parse is passed with its
// error; reading goes on. An error reading a file, or from fn, stops.
func readMessages(names []string, stdin io.Reader, fn func(inputMessage) error) error {
	for _, name := range inputNames(names) {
		rc, src, err := openInput(name, stdin)
		if err != nil {
			return err
		}
		err = readFrom(rc, src, fn)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func readFrom(r io.Reader, src string, fn func(inputMessage) error) error {
	rd := hl7.NewReader(r)
	for i := 1; ; i++ {
		m, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		in := inputMessage{Source: src, Index: i, Line: rd.Line(), Msg: m, Err: err}
		if m != nil {
			in.Raw = m.Bytes()
		}
		if err != nil {
			var pe *hl7.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("%s: %w", src, err)
			}
			in.Raw = rd.Raw()
			in.Envelope = in.Raw == nil && !errors.Is(err, hl7.ErrTooLarge)
			if in.Envelope {
				i--
			}
		}
		if err := fn(in); err != nil {
			return err
		}
	}
}
