package hl7

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func init() {
	// The golden tests of this package share one -update flag; define it only if no other test
	// file of the package has.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata")
	}
}

// updateGolden reports whether the test run was asked to rewrite golden files.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// bmsg returns a small ADT^A01 with control ID id, its segments ended by term.
func bmsg(id, term string) string {
	return "MSH|^~\\&|ADT|GHH|LAB|GHH|20261127120000||ADT^A01|" + id + "|P|2.5" + term +
		"PID|1||" + id + "^^^GHH^MR||DOE^JANE" + term
}

// lfLine returns s, a message or segment ended by CR, ended by LF instead: the way files with
// one message per line hold CR-terminated messages.
func lfLine(s string) string { return strings.TrimSuffix(s, "\r") + "\n" }

// bmsgDelims returns bmsg with other delimiters: field #, component *, repetition @,
// escape !, sub-component %.
func bmsgDelims(id, term string) string {
	return "MSH#*@!%#ADT#GHH#LAB#GHH#20261127120000##ADT*A01#" + id + "#P#2.5" + term +
		"PID#1##" + id + "***GHH*MR##DOE*JANE" + term
}

// fileShape describes the structure of f: FHS, each batch in brackets with its BHS, the control
// IDs of its messages and BTS-1, and FTS-1.
func fileShape(f *File) string {
	var parts []string
	if f.Header != nil {
		parts = append(parts, "FHS")
	}
	for _, b := range f.Batches {
		var in []string
		if b.Header != nil {
			in = append(in, "BHS")
		}
		for _, m := range b.Messages {
			in = append(in, m.ControlID())
		}
		if b.Trailer != nil {
			in = append(in, "BTS="+b.Trailer.Segment(0).Field(1).String())
		}
		parts = append(parts, "["+strings.Join(in, " ")+"]")
	}
	if f.Trailer != nil {
		parts = append(parts, "FTS="+f.Trailer.Segment(0).Field(1).String())
	}
	return strings.Join(parts, " ")
}

func batchErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type fileCase struct {
	name   string
	in     string
	shape  string            // structure read by ParseFile (see fileShape)
	fields map[string]string // envelope values: FHS-n and FTS-n of the file, BHS-n and BTS-n of the first batch
	err    string            // ParseFile's error, exactly
	check  string            // Check's error, exactly
}

var (
	testFHS  = "FHS|^~\\&|COURIER|GHH|BILLING|GHH|20261127230000||daily.hl7|nightly run|F0001\r"
	testBHS  = "BHS|^~\\&|COURIER|GHH|BILLING|GHH|20261127230000||DFT|batch one|B0001\r"
	testBHS2 = "BHS|^~\\&|COURIER|GHH|BILLING|GHH|20261127230000||DFT|batch two|B0002\r"
)

var fileTests = []fileCase{{
	name:  "BareCR",
	in:    bmsg("1", "\r") + bmsg("2", "\r") + bmsg("3", "\r"),
	shape: "[1 2 3]",
}, {
	name:  "BareLF",
	in:    bmsg("1", "\n") + bmsg("2", "\n"),
	shape: "[1 2]",
}, {
	name:  "BareCRLF",
	in:    bmsg("1", "\r\n") + bmsg("2", "\r\n"),
	shape: "[1 2]",
}, {
	name:  "BareLastWithoutTerminator",
	in:    bmsg("1", "\r") + strings.TrimSuffix(bmsg("2", "\r"), "\r"),
	shape: "[1 2]",
}, {
	name:  "FullEnvelope",
	in:    testFHS + testBHS + bmsg("1", "\r") + bmsg("2", "\r") + "BTS|2|batch one end\rFTS|1|end of file\r",
	shape: "FHS [BHS 1 2 BTS=2] FTS=1",
	fields: map[string]string{
		"FHS-1": "|", "FHS-2": "^~\\&", "FHS-3": "COURIER", "FHS-7": "20261127230000", "FHS-9": "daily.hl7",
		"FHS-10": "nightly run", "FHS-11": "F0001", "BHS-9": "DFT", "BHS-11": "B0001", "BTS-2": "batch one end",
		"FTS-2": "end of file",
	},
}, {
	name:  "TwoBatches",
	in:    testFHS + testBHS + bmsg("1", "\r") + "BTS|1\r" + testBHS2 + bmsg("2", "\r") + bmsg("3", "\r") + "BTS|2\rFTS|2\r",
	shape: "FHS [BHS 1 BTS=1] [BHS 2 3 BTS=2] FTS=2",
}, {
	name:  "BHSWithoutFHS",
	in:    testBHS + bmsg("1", "\r") + bmsg("2", "\r") + "BTS|2\r",
	shape: "[BHS 1 2 BTS=2]",
}, {
	// A file with FHS and no BHS holds one batch without header, and FTS-1 counts it.
	name:  "FHSWithoutBHS",
	in:    testFHS + bmsg("1", "\r") + bmsg("2", "\r") + "FTS|1\r",
	shape: "FHS [1 2] FTS=1",
}, {
	name:  "FHSWithoutBHSCountedAsNoBatch",
	in:    testFHS + bmsg("1", "\r") + "FTS|0\r",
	shape: "FHS [1] FTS=0",
	check: "hl7: line 4 col 5 (byte 166): invalid batch: FTS-1 is 0 but the file holds 1 batch; a batch is missing or FTS-1 is wrong",
}, {
	name:  "BTSWithoutBHS",
	in:    bmsg("1", "\r") + bmsg("2", "\r") + "BTS|2\r",
	shape: "[1 2 BTS=2]",
}, {
	name:  "BTSWithoutBHSWrongCount",
	in:    bmsg("1", "\r") + bmsg("2", "\r") + "BTS|3\r",
	shape: "[1 2 BTS=3]",
	check: "hl7: line 5 col 5 (byte 174): invalid batch: BTS-1 is 3 but the batch that starts at line 1 holds 2 messages; a message is missing or BTS-1 is wrong",
}, {
	name:  "EmptyBatch",
	in:    testBHS + "BTS|0\r",
	shape: "[BHS BTS=0]",
}, {
	name:  "MessagesAfterBTSFormANewBatch",
	in:    testBHS + bmsg("1", "\r") + "BTS|1\r" + bmsg("2", "\r"),
	shape: "[BHS 1 BTS=1] [2]",
}, {
	name:  "BTSCountTooHigh",
	in:    testFHS + testBHS + bmsg("1", "\r") + bmsg("2", "\r") + "BTS|3\rFTS|1\r",
	shape: "FHS [BHS 1 2 BTS=3] FTS=1",
	check: "hl7: line 7 col 5 (byte 320): invalid batch: BTS-1 is 3 but the batch begun by BHS at line 2 holds 2 messages; a message is missing or BTS-1 is wrong",
}, {
	name:  "FTSCountWrong",
	in:    testFHS + testBHS + bmsg("1", "\r") + "BTS|1\rFTS|2\r",
	shape: "FHS [BHS 1 BTS=1] FTS=2",
	check: "hl7: line 6 col 5 (byte 241): invalid batch: FTS-1 is 2 but the file holds 1 batch; a batch is missing or FTS-1 is wrong",
}, {
	name:  "BothCountsWrong",
	in:    testFHS + testBHS + bmsg("1", "\r") + "BTS|3\rFTS|2\r",
	shape: "FHS [BHS 1 BTS=3] FTS=2",
	check: "hl7: line 5 col 5 (byte 235): invalid batch: BTS-1 is 3 but the batch begun by BHS at line 2 holds 1 message; a message is missing or BTS-1 is wrong\n" +
		"hl7: line 6 col 5 (byte 241): invalid batch: FTS-1 is 2 but the file holds 1 batch; a batch is missing or FTS-1 is wrong",
}, {
	name:  "MissingBTS",
	in:    testFHS + testBHS + bmsg("1", "\r") + bmsg("2", "\r") + "FTS|1\r",
	shape: "FHS [BHS 1 2] FTS=1",
	check: "hl7: line 7 col 1 (byte 316): invalid batch: the batch begun by BHS at line 2 has no BTS; the file may have been cut short",
}, {
	name:  "MissingBTSBeforeNextBHS",
	in:    testBHS + bmsg("1", "\r") + testBHS2 + bmsg("2", "\r") + "BTS|1\r",
	shape: "[BHS 1] [BHS 2 BTS=1]",
	check: "hl7: line 4 col 1 (byte 154): invalid batch: the batch begun by BHS at line 1 has no BTS; the file may have been cut short",
}, {
	name:  "MissingFTS",
	in:    testFHS + testBHS + bmsg("1", "\r") + "BTS|1\r",
	shape: "FHS [BHS 1 BTS=1]",
	check: "hl7: line 6 col 1 (byte 237): invalid batch: the file begun by FHS at line 1 has no FTS; the file may have been cut short",
}, {
	name:  "CutShort",
	in:    testFHS + testBHS + bmsg("1", "\r"),
	shape: "FHS [BHS 1]",
	check: "hl7: line 5 col 1 (byte 231): invalid batch: the batch begun by BHS at line 2 has no BTS; the file may have been cut short\n" +
		"hl7: line 5 col 1 (byte 231): invalid batch: the file begun by FHS at line 1 has no FTS; the file may have been cut short",
}, {
	// BTS-1 and FTS-1 are optional in the standard: empty counts are not checked.
	name:   "EmptyCounts",
	in:     testFHS + testBHS + bmsg("1", "\r") + "BTS||no count\rFTS\r",
	shape:  "FHS [BHS 1 BTS=] FTS=",
	fields: map[string]string{"BTS-2": "no count"},
}, {
	name:  "CountNotANumber",
	in:    testBHS + bmsg("1", "\r") + "BTS|one\r",
	shape: "[BHS 1 BTS=one]",
	check: "hl7: line 4 col 5 (byte 158): invalid batch: BTS-1 \"one\" is not a count of messages",
}, {
	name:  "NegativeCount",
	in:    testBHS + "BTS|-1\r",
	shape: "[BHS BTS=-1]",
	check: "hl7: line 2 col 5 (byte 73): invalid batch: BTS-1 \"-1\" is not a count of messages",
}, {
	name:  "CountWithSpaces",
	in:    testBHS + bmsg("1", "\r") + "BTS| 1 \r",
	shape: "[BHS 1 BTS= 1 ]",
}, {
	name: "CustomDelimitersInFHS",
	in: "FHS#*@!%#COURIER*1.2.3*ISO#GHH###20261127230000##daily.hl7#a!F!b#F1\r" +
		"BHS#*@!%#COURIER\r" + bmsgDelims("1", "\r") + "BTS#1\rFTS#1\r",
	shape:  "FHS [BHS 1 BTS=1] FTS=1",
	fields: map[string]string{"FHS-1": "#", "FHS-2": "*@!%", "FHS-3": "COURIER*1.2.3*ISO", "FHS-9": "daily.hl7", "FHS-10": "a#b", "FHS-11": "F1"},
}, {
	name:  "TrailerWithOtherFieldSeparator",
	in:    testBHS + bmsg("1", "\r") + "BTS#1\r",
	err:   "hl7: line 4 col 4 (byte 157): invalid delimiters in MSH-1/MSH-2: BTS uses the field separator '#' but its header BHS defines '|'",
	shape: "",
}, {
	name:  "MessagesWithTheirOwnDelimiters",
	in:    bmsg("1", "\r") + bmsgDelims("2", "\r") + "MSH^|~\\&^ADT^GHH^LAB^GHH^20261127120000^^ADT|A01^3^P^2.5\rPID^1\r",
	shape: "[1 2 3]",
}, {
	name:  "BOM",
	in:    "\xEF\xBB\xBF" + bmsg("1", "\n") + bmsg("2", "\n"),
	shape: "[1 2]",
}, {
	// Files joined with cat keep each one's byte order mark at a line start.
	name:  "BOMBetweenMessages",
	in:    "\xEF\xBB\xBF" + bmsg("1", "\n") + "\xEF\xBB\xBF" + bmsg("2", "\n"),
	shape: "[1 2]",
}, {
	name:  "BlankLinesBetweenMessages",
	in:    "\r\n\r\n" + bmsg("1", "\r") + "\r\n\n  \t\r" + bmsg("2", "\r\n") + "\r\n\r\n\x00" + bmsg("3", "\n") + "\n\n",
	shape: "[1 2 3]",
}, {
	name:  "BlankLinesAroundEnvelopes",
	in:    "\n" + testFHS + "\r\n" + testBHS + "\n\n" + bmsg("1", "\r") + "\r\r" + "BTS|1\r" + "\n" + "FTS|1\r" + "\r\n",
	shape: "FHS [BHS 1 BTS=1] FTS=1",
}, {
	name:  "DOSEndOfFile",
	in:    bmsg("1", "\r\n") + bmsg("2", "\r\n") + "\x1a",
	shape: "[1 2]",
}, {
	// Blank lines inside a message stay in it: Parse keeps them after the segment before.
	name:  "BlankLineInsideMessage",
	in:    "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\r\rPID|1\r" + bmsg("2", "\r"),
	shape: "[1 2]",
}, {
	// In a message whose segments end with CR, a lone LF is text (NTE comments carry them),
	// even before something that looks like a header.
	name:  "LoneLFInsideCRMessage",
	in:    "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rNTE|1||first line\nMSH|is text here\r" + bmsg("2", "\r"),
	shape: "[1 2]",
}, {
	// Files hold one message per line with CR inside: an LF that MSH and the message's field
	// separator follow ends the message (and belongs to it, as a final LF does).
	name:  "LFBetweenCRMessages",
	in:    lfLine(bmsg("1", "\r")) + lfLine(bmsg("2", "\r")) + lfLine(bmsg("3", "\r")),
	shape: "[1 2 3]",
}, {
	name:  "LFBetweenCRMessagesNoFinalLF",
	in:    lfLine(bmsg("1", "\r")) + strings.TrimSuffix(bmsg("2", "\r"), "\r"),
	shape: "[1 2]",
}, {
	// So do an LF that an envelope segment follows, and blank lines before it.
	name:  "LFBetweenCRMessagesInEnvelope",
	in:    testFHS + testBHS + lfLine(bmsg("1", "\r")) + lfLine(bmsg("2", "\r")) + "\n\nBTS|2\n" + lfLine(testBHS2) + lfLine(bmsg("3", "\r")) + "BTS|1\nFTS|2\n",
	shape: "FHS [BHS 1 2 BTS=2] [BHS 3 BTS=1] FTS=2",
}, {
	// An LF before MSH with another field separator, or before a line that starts no element,
	// stays text.
	name:  "LFBeforeOtherTextInsideCRMessage",
	in:    "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rNTE|1||see\nPID|1\nMSH#^~\\&#x\r" + bmsg("2", "\r"),
	shape: "[1 2]",
}, {
	name:  "MixedLineEndsPerMessage",
	in:    bmsg("1", "\n") + bmsg("2", "\r") + bmsg("3", "\r\n") + bmsg("4", "\n"),
	shape: "[1 2 3 4]",
}, {
	// A message whose MSH ends with LF ends segments at CR, LF or CR LF.
	name:  "LFMessageWithCRLFLater",
	in:    "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\nPID|1\r\nPV1|1\n" + bmsg("2", "\n"),
	shape: "[1 2]",
}, {
	name:  "Empty",
	in:    "",
	shape: "",
}, {
	name:  "OnlyBlank",
	in:    "\r\n \t\x00\x1a\n",
	shape: "",
}, {
	name:  "MSHAloneOnALine",
	in:    bmsg("1", "\r") + "MSH\r",
	err:   "hl7: line 3 col 4 (byte 88), segment 1 (MSH), field 2: invalid delimiters in MSH-1/MSH-2: MSH-2 (encoding characters) is empty",
	shape: "",
}, {
	name: "TextBeforeFirstMessage",
	in:   "exported by LIS 4.2\r\n" + bmsg("1", "\r"),
	err:  "hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found \"exported by LIS \" where a file starts with MSH, BHS or FHS",
}, {
	name: "TrailerFirst",
	in:   "BTS|0\r",
	err:  "hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found \"BTS|0\" where a file starts with MSH, BHS or FHS",
}, {
	name: "SegmentOutsideMessage",
	in:   testBHS + "PID|1||X\r" + bmsg("1", "\r"),
	err:  "hl7: line 2 col 1 (byte 69): invalid batch: \"PID|1||X\" after BHS (line 1) is outside any message; a message starts with MSH",
}, {
	name: "SecondFHS",
	in:   testFHS + bmsg("1", "\r") + testFHS + bmsg("2", "\r"),
	err:  "hl7: line 4 col 1 (byte 162): invalid batch: FHS is not the first segment of the file; only one FHS may start a file (were two files joined?)",
}, {
	name: "MessageAfterFTS",
	in:   testFHS + bmsg("1", "\r") + "FTS|1\r" + bmsg("2", "\r"),
	err:  "hl7: line 5 col 1 (byte 168): invalid batch: MSH after FTS (line 4); FTS ends the file (were two files joined?)",
}, {
	name: "BTSEndsNoBatch",
	in:   testBHS + bmsg("1", "\r") + "BTS|1\rBTS|1\r",
	err:  "hl7: line 5 col 1 (byte 160): invalid batch: BTS after BTS (line 4) ends no batch; a batch starts with BHS or MSH",
}, {
	name: "BadBHSDelimiters",
	in:   "BHS|^^\\&\r" + bmsg("1", "\r"),
	err:  "hl7: line 1 col 4 (byte 3), segment 1 (BHS), field 2: invalid delimiters in MSH-1/MSH-2: component separator and repetition separator are both '^'",
}, {
	name: "MessageThatDoesNotParse",
	in:   bmsg("1", "\r") + "MSH|^~\\&|A||||||ADT^A01|2|P|2.5\rP-D|1\r",
	err:  "hl7: line 4 col 1 (byte 117), segment 2: invalid segment name: \"P-D|1\" (a segment starts with three letters or digits and the field separator '|')",
}, {
	name: "UTF16",
	in:   "\xFF\xFEM\x00S\x00H\x00",
	err:  "hl7: line 1 col 1 (byte 0): unsupported character set: the input starts with a UTF-16 byte order mark; convert the file to UTF-8 (or an ASCII-based character set) to read it as a batch",
}}

// envelopeField reads a "FHS-9" style key of fields in f.
func fileEnvelopeField(f *File, key string) (string, bool) {
	var m *Message
	switch key[:3] {
	case "FHS":
		m = f.Header
	case "FTS":
		m = f.Trailer
	case "BHS", "BTS":
		if len(f.Batches) > 0 {
			m = f.Batches[0].Header
			if key[:3] == "BTS" {
				m = f.Batches[0].Trailer
			}
		}
	}
	if m == nil {
		return "", false
	}
	return m.Get(key), true
}

func TestParseFile(t *testing.T) {
	for _, tt := range fileTests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile([]byte(tt.in))
			if got := batchErrText(err); got != tt.err {
				t.Fatalf("ParseFile error:\n got %s\nwant %s", got, tt.err)
			}
			if err != nil {
				if f != nil {
					t.Error("a File and an error")
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("error %T is not a *ParseError", err)
				}
				return
			}
			if got := fileShape(f); got != tt.shape {
				t.Errorf("shape\n got %s\nwant %s", got, tt.shape)
			}
			if got := f.Bytes(); string(got) != tt.in {
				t.Errorf("Bytes differ from the input:\n got %q\nwant %q", got, tt.in)
			}
			var buf bytes.Buffer
			if n, err := f.WriteTo(&buf); err != nil || n != int64(len(tt.in)) || buf.String() != tt.in {
				t.Errorf("WriteTo wrote %d bytes (%v), equal to the input: %v", n, err, buf.String() == tt.in)
			}
			for key, want := range tt.fields {
				if got, ok := fileEnvelopeField(f, key); !ok || got != want {
					t.Errorf("%s = %q (present %v), want %q", key, got, ok, want)
				}
			}
			err = f.Check()
			if got := batchErrText(err); got != tt.check {
				t.Errorf("Check:\n got %s\nwant %s", got, tt.check)
			}
			if err != nil {
				if !errors.Is(err, ErrBatch) {
					t.Errorf("Check error does not wrap ErrBatch: %v", err)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("Check error holds no *ParseError: %T", err)
				} else if pe.Line < 1 || pe.Column < 1 || pe.Offset < 0 || pe.Offset > len(tt.in) {
					t.Errorf("Check error position out of the input: %+v", pe)
				}
			}
			// Each message's bytes run from its MSH to its last terminator and parse alone, with
			// the terminator rule its first line asks for, to the same segments.
			for i, m := range f.Messages() {
				b := m.Bytes()
				if !bytes.HasPrefix(b, []byte("MSH")) {
					t.Errorf("message %d starts with %q", i+1, clip(b, 8))
				}
				var p Parser
				if i := bytes.IndexAny(b, "\r\n"); i >= 0 && b[i] == '\n' {
					p.Terminators = TerminatorsAny
				}
				alone, err := p.Parse(b)
				if err != nil || alone.NumSegments() != m.NumSegments() {
					t.Errorf("message %d alone: %v, want %d segments", i+1, err, m.NumSegments())
				}
			}
		})
	}
}

// TestParseFilePositionsMatchLineCol checks the positions of errors against lineCol, the
// function Parse uses, on the inputs whose errors are not at a line start.
func TestParseFilePositionsMatchLineCol(t *testing.T) {
	for _, tt := range fileTests {
		f, err := ParseFile([]byte(tt.in))
		if err == nil {
			err = f.Check()
		}
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) {
			continue
		}
		line, col := lineCol([]byte(tt.in), pe.Offset)
		if line != pe.Line || col != pe.Column {
			t.Errorf("%s: error at byte %d says line %d col %d; lineCol says line %d col %d", tt.name, pe.Offset, pe.Line, pe.Column, line, col)
		}
	}
}

func TestParseFileWithParserOptions(t *testing.T) {
	latin := "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||1||M\xdcLLER^J\xd6RG\r"
	in := []byte(latin + bmsg("2", "\r"))
	f, err := ParseFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Messages()[0].Get("PID-5.1"); got != "MÜLLER" {
		t.Errorf("MSH-18 8859/1: PID-5.1 = %q", got)
	}
	// The Parser's default character set reads the messages that name none.
	p := Parser{Charset: "8859/1"}
	f, err = p.ParseFile([]byte(bmsg("1", "\r") + "MSH|^~\\&|A||||||ADT^A01|2|P|2.5\rPID|1||2||M\xdcLLER\r"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Messages()[1].Get("PID-5.1"); got != "MÜLLER" {
		t.Errorf("default charset: PID-5.1 = %q", got)
	}
	// TerminatorsCR: a lone LF never ends a segment, so an LF file is one message of one line.
	p = Parser{Terminators: TerminatorsCR}
	f, err = p.ParseFile([]byte("MSH|^~\\&|A\nPID|1\nMSH|^~\\&|B\nPID|2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Messages()); n != 1 || f.Messages()[0].NumSegments() != 1 {
		t.Errorf("TerminatorsCR on an LF file: %d messages", n)
	}
	// MaxSize applies to each message.
	p = Parser{MaxSize: 100}
	_, err = p.ParseFile([]byte(bmsg("1", "\r") + bmsg("2", "\r") + "NTE|1||" + strings.Repeat("x", 100) + "\r"))
	want := "hl7: line 3 col 1 (byte 85): message too large: the message is larger than 100 bytes and was skipped; raise Parser.MaxSize if messages this large are expected"
	if got := batchErrText(err); got != want || !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxSize:\n got %s\nwant %s", got, want)
	}
}

// TestFileEdit checks that a File can be changed through its fields and written back.
func TestFileEdit(t *testing.T) {
	in := testFHS + testBHS + bmsg("1", "\r") + bmsg("2", "\r") + "BTS|2\r\r\nFTS|1\r"
	f, err := ParseFile([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	b := f.Batches[0]
	b.Messages = b.Messages[:1]
	if err := f.Check(); err == nil || !strings.Contains(err.Error(), "BTS-1 is 2 but the batch begun by BHS at line 2 holds 1 message") {
		t.Fatalf("Check after removing a message: %v", err)
	}
	if err := b.Trailer.Set("BTS-1", "1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); err != nil {
		t.Fatalf("Check after fixing BTS-1: %v", err)
	}
	want := testFHS + testBHS + bmsg("1", "\r") + "BTS|1\r\r\nFTS|1\r"
	if got := string(f.Bytes()); got != want {
		t.Errorf("Bytes:\n got %q\nwant %q", got, want)
	}
	// A message built without a final terminator still gets its own line.
	m, err := New(DefaultDelimiters())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set("MSH-10", "3"); err != nil {
		t.Fatal(err)
	}
	last := m.segs[len(m.segs)-1]
	m.segs[len(m.segs)-1].trail = last.trail[:0]
	b.Messages = append(b.Messages, m)
	if err := b.Trailer.Set("BTS-1", "2"); err != nil {
		t.Fatal(err)
	}
	g, err := ParseFile(f.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := fileShape(g); got != "FHS [BHS 1 3 BTS=2] FTS=1" {
		t.Errorf("shape after adding a message without terminator: %s", got)
	}
	if err := g.Check(); err != nil {
		t.Error(err)
	}
}

// TestBatchGolden reads each file under testdata/batch and compares a listing of its elements
// (and what Check says) with NAME.golden. Run with -update to rewrite the listings.
func TestBatchGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/batch/*.hl7")
	if err != nil || len(files) == 0 {
		t.Fatalf("no batch files under testdata/batch: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseFile(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Bytes(), data) {
				t.Fatal("Bytes differ from the file")
			}
			got := fileListing(f)
			golden := strings.TrimSuffix(name, ".hl7") + ".golden"
			if updateGolden() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("listing differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}

// listing describes every element of f on one line, with its line number in f.Bytes().
func fileListing(f *File) string {
	var b strings.Builder
	var lc lineCounter
	msgIndex := 0
	f.walk(func(p piece) bool {
		at := lc.pos()
		lc.add(p.b)
		if p.role == roleBatchBegin {
			msgIndex = 0
		}
		if !p.role.isElement() {
			return true
		}
		var d string
		switch p.role {
		case roleFileHeader:
			h := f.Header
			d = fmt.Sprintf("FHS sender=%s time=%s name=%s comment=%q control=%s", h.Get("FHS-3"), h.Get("FHS-7"), h.Get("FHS-9"), h.Get("FHS-10"), h.Get("FHS-11"))
		case roleBatchHeader:
			h := p.batch.Header
			d = fmt.Sprintf("BHS sender=%s name=%s comment=%q control=%s", h.Get("BHS-3"), h.Get("BHS-9"), h.Get("BHS-10"), h.Get("BHS-11"))
		case roleMessage:
			end := "CR"
			switch {
			case bytes.HasSuffix(p.b, []byte("\r\n")):
				end = "CRLF"
			case bytes.HasSuffix(p.b, []byte("\n")):
				end = "LF"
			}
			m := p.batch.Messages[msgIndex]
			msgIndex++
			d = fmt.Sprintf("MSH %s control=%s segments=%d bytes=%d end=%s", m.Get("MSH-9"), m.ControlID(), m.NumSegments(), len(p.b), end)
		case roleBatchTrailer:
			d = fmt.Sprintf("BTS count=%s", p.batch.Trailer.Get("BTS-1"))
		case roleFileTrailer:
			d = fmt.Sprintf("FTS count=%s", f.Trailer.Get("FTS-1"))
		}
		fmt.Fprintf(&b, "line %d: %s\n", at.line, d)
		return true
	})
	if err := f.Check(); err != nil {
		fmt.Fprintf(&b, "check: %v\n", err)
	} else {
		b.WriteString("check: ok\n")
	}
	return b.String()
}

func TestEnvelope(t *testing.T) {
	e := Envelope{
		SendingApplication: "COURIER^1.2.3^ISO",
		SendingFacility:    "GHH",
		ReceivingFacility:  "BILLING",
		Time:               time.Date(2026, 11, 27, 23, 0, 5, 0, time.FixedZone("", -5*3600)),
		Name:               "daily|billing.hl7",
		Comment:            "night run ^ 1",
		ControlID:          "F0001",
	}
	h, err := e.FHS()
	if err != nil {
		t.Fatal(err)
	}
	want := "FHS|^~\\&|COURIER^1.2.3^ISO|GHH||BILLING|20261127230005-0500||daily\\F\\billing.hl7|night run \\S\\ 1|F0001\r"
	if got := string(h.Bytes()); got != want {
		t.Errorf("FHS:\n got %q\nwant %q", got, want)
	}
	if got := h.Get("FHS-9"); got != e.Name {
		t.Errorf("FHS-9 read back as %q", got)
	}
	if got := h.Get("FHS-3.2"); got != "1.2.3" {
		t.Errorf("FHS-3.2 = %q", got)
	}
	e.Delimiters = Delimiters{Field: '#', Component: '*', Repetition: '@', Escape: '!', SubComponent: '%'}
	b, err := Envelope{Delimiters: e.Delimiters, ControlID: "B1"}.BHS()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b.Bytes()); got != "BHS#*@!%#########B1\r" {
		t.Errorf("BHS: %q", got)
	}
	for _, tt := range []struct {
		e   Envelope
		err string
	}{
		{Envelope{SendingApplication: "A|B"}, "hl7: set FHS-3: value cannot be set: a hierarchic designator holds the field separator '|'"},
		{Envelope{SendingFacility: "A\rB"}, "hl7: set FHS-4: value cannot be set: raw value holds a line end"},
		{Envelope{Delimiters: Delimiters{Field: '|', Component: '|'}}, "hl7: build FHS: invalid delimiters in MSH-1/MSH-2: field separator and component separator are both '|'"},
	} {
		if _, err := tt.e.FHS(); batchErrText(err) != tt.err {
			t.Errorf("%+v:\n got %v\nwant %s", tt.e, err, tt.err)
		}
	}
}

// TestWriter writes a file with the Writer and compares it with testdata/batch/written.golden
// (run with -update to rewrite it); the file reads back with the counts right.
func TestWriter(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	fh, err := Envelope{SendingApplication: "COURIER", SendingFacility: "GHH", Time: at, Name: "billing-20261127.hl7", ControlID: "F0001"}.FHS()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.BeginFile(fh))
	for i, ids := range [][]string{{"1", "2", "3"}, {"4"}, {}} {
		bh, err := Envelope{SendingApplication: "COURIER", Time: at, Name: "DFT", ControlID: fmt.Sprintf("B%04d", i+1)}.BHS()
		must(err)
		must(w.BeginBatch(bh))
		for _, id := range ids {
			term := "\r"
			if id == "2" {
				term = "\n" // a message is written with its own line ends
			}
			m, err := Parse([]byte("\xEF\xBB\xBF" + bmsg(id, term)))
			must(err)
			must(w.Write(m))
		}
		if i == 0 {
			must(w.EndBatch())
		}
	}
	must(w.Close())
	must(w.Close())
	got := buf.Bytes()
	golden := "testdata/batch/written.golden"
	if updateGolden() {
		must(os.WriteFile(golden, got, 0o644))
	} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, want) {
		t.Errorf("written file differs from %s (%v; run with -update to accept):\n%q", golden, err, got)
	}
	f, err := ParseFile(got)
	must(err)
	if s := fileShape(f); s != "FHS [BHS 1 2 3 BTS=3] [BHS 4 BTS=1] [BHS BTS=0] FTS=3" {
		t.Errorf("shape: %s", s)
	}
	if err := f.Check(); err != nil {
		t.Error(err)
	}
	if bytes.Contains(got, bomUTF8) {
		t.Error("a byte order mark was written inside the file")
	}

	// Bare messages with FHS: one batch without header, counted by FTS-1.
	buf.Reset()
	w = NewWriter(&buf)
	must(w.BeginFile(fh))
	for _, id := range []string{"1", "2"} {
		m, _ := Parse([]byte(bmsg(id, "\r")))
		must(w.Write(m))
	}
	must(w.Close())
	f, err = ParseFile(buf.Bytes())
	must(err)
	if s := fileShape(f); s != "FHS [1 2] FTS=1" {
		t.Errorf("bare shape: %s", s)
	}
	if err := f.Check(); err != nil {
		t.Error(err)
	}
}

func TestWriterErrors(t *testing.T) {
	fh, _ := Envelope{}.FHS()
	bh, _ := Envelope{}.BHS()
	m, _ := Parse([]byte(bmsg("1", "\r")))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, tt := range []struct {
		call func() error
		err  string
	}{
		{func() error { return w.EndBatch() }, "hl7: end batch: invalid batch: no batch was begun with BeginBatch"},
		{func() error { return w.BeginFile(bh) }, "hl7: write batch: invalid batch: expected a single FHS segment (build one with Envelope.FHS)"},
		{func() error { return w.BeginBatch(fh) }, "hl7: write batch: invalid batch: expected a single BHS segment (build one with Envelope.BHS)"},
		{func() error { return w.Write(nil) }, "hl7: write batch: message does not start with an MSH segment: the message does not start with MSH"},
		{func() error { return w.Write(m) }, ""},
		{func() error { return w.BeginFile(fh) }, "hl7: begin file: invalid batch: the FHS must be the first segment of the file"},
		{func() error { return w.EndBatch() }, "hl7: end batch: invalid batch: no batch was begun with BeginBatch"},
		{func() error { return w.Close() }, ""},
		{func() error { return w.Write(m) }, "hl7: write batch: invalid batch: the Writer is closed"},
	} {
		if got := batchErrText(tt.call()); got != tt.err {
			t.Errorf("got %q\nwant %q", got, tt.err)
		}
	}
	if got := buf.String(); got != bmsg("1", "\r") {
		t.Errorf("wrote %q", got)
	}
	// A write error is returned by every later call.
	w = NewWriter(batchFailWriter{})
	if err := w.Write(m); err == nil || !errors.Is(err, errBatchDiskFull) {
		t.Fatalf("write error: %v", err)
	}
	if err := w.Close(); !errors.Is(err, errBatchDiskFull) {
		t.Errorf("Close after a write error: %v", err)
	}
}

var errBatchDiskFull = errors.New("disk full")

type batchFailWriter struct{}

func (batchFailWriter) Write([]byte) (int, error) { return 0, errBatchDiskFull }
