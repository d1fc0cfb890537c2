package hl7_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// billingFile is a small batch file: a file envelope around one batch of two messages.
const billingFile = "FHS|^~\\&|PAS|GHH|BILLING|GHH|20261127230000||charges.hl7||F0042\r" +
	"BHS|^~\\&|PAS|GHH|BILLING|GHH|20261127230000||DFT||B0001\r" +
	"MSH|^~\\&|PAS|GHH|BILLING|GHH|20261127221500||DFT^P03|DFT0001|P|2.5\r" +
	"PID|1||PAT001^^^GHH^MR||DOE^JANE\r" +
	"MSH|^~\\&|PAS|GHH|BILLING|GHH|20261127222000||DFT^P03|DFT0002|P|2.5\r" +
	"PID|1||PAT002^^^GHH^MR||ROE^RICHARD\r" +
	"BTS|2\r" +
	"FTS|1\r"

func ExampleParseFile() {
	f, err := hl7.ParseFile([]byte(billingFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("file", f.Header.Get("FHS-9"), "control ID", f.Header.Get("FHS-11"))
	for _, b := range f.Batches {
		fmt.Println("batch", b.Header.Get("BHS-11"), "of", b.Trailer.Get("BTS-1"), "messages")
		for _, m := range b.Messages {
			fmt.Println(" ", m.Type(), m.Trigger(), m.ControlID(), m.Get("PID-5.1"))
		}
	}
	fmt.Println("counts:", f.Check())
	fmt.Println("lossless:", string(f.Bytes()) == billingFile)
	// Output:
	// file charges.hl7 control ID F0042
	// batch B0001 of 2 messages
	//   DFT P03 DFT0001 DOE
	//   DFT P03 DFT0002 ROE
	// counts: <nil>
	// lossless: true
}

// A file of messages one after another, with LF line ends and blank lines, as exports often
// are: each message keeps its own bytes.
func ExampleParseFile_plainMessages() {
	data := "MSH|^~\\&|LIS|LAB|||20261127||ORU^R01|LAB1|P|2.5\nOBX|1|NM|GLU||5.4\n\n" +
		"MSH|^~\\&|LIS|LAB|||20261127||ORU^R01|LAB2|P|2.5\nOBX|1|NM|GLU||6.1\n"
	f, err := hl7.ParseFile([]byte(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range f.Messages() {
		fmt.Printf("%s %s %q\n", m.ControlID(), m.Get("OBX-5"), m.Bytes()[len(m.Bytes())-5:])
	}
	// Output:
	// LAB1 5.4 "|5.4\n"
	// LAB2 6.1 "|6.1\n"
}

func ExampleFile_Check() {
	cut := strings.Replace(billingFile, "BTS|2\r", "BTS|3\r", 1)
	f, _ := hl7.ParseFile([]byte(cut))
	err := f.Check()
	fmt.Println(errors.Is(err, hl7.ErrBatch))
	var pe *hl7.ParseError
	if errors.As(err, &pe) {
		fmt.Printf("line %d col %d: %s\n", pe.Line, pe.Column, pe.Detail)
	}
	// Output:
	// true
	// line 7 col 5: BTS-1 is 3 but the batch begun by BHS at line 2 holds 2 messages; a message is missing or BTS-1 is wrong
}

func ExampleReader() {
	r := hl7.NewReader(strings.NewReader(billingFile)) // an *os.File in practice
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// One message or one envelope problem: report it and go on.
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("line %d: %s in batch %s\n", r.Line(), m.ControlID(), r.BatchHeader().Get("BHS-11"))
	}
	// Output:
	// line 3: DFT0001 in batch B0001
	// line 5: DFT0002 in batch B0001
}

func ExampleWriter() {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	fhs, _ := hl7.Envelope{SendingApplication: "COURIER", SendingFacility: "GHH", Time: at, Name: "charges.hl7", ControlID: "F0043"}.FHS()
	bhs, _ := hl7.Envelope{SendingApplication: "COURIER", Time: at, ControlID: "B0001"}.BHS()

	var out bytes.Buffer // a bufio.Writer around an *os.File in practice
	w := hl7.NewWriter(&out)
	_ = w.BeginFile(fhs)
	_ = w.BeginBatch(bhs)
	for _, id := range []string{"DFT0001", "DFT0002"} {
		m, _ := hl7.Parse([]byte("MSH|^~\\&|PAS|GHH|BILLING|GHH|20261127221500||DFT^P03|" + id + "|P|2.5\rPID|1\r"))
		if err := w.Write(m); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil { // writes BTS|2 and FTS|1
		fmt.Println(err)
		return
	}
	_, _ = os.Stdout.Write(bytes.ReplaceAll(out.Bytes(), []byte("\r"), []byte("\n")))
	// Output:
	// FHS|^~\&|COURIER|GHH|||20261127230000+0000||charges.hl7||F0043
	// BHS|^~\&|COURIER||||20261127230000+0000||||B0001
	// MSH|^~\&|PAS|GHH|BILLING|GHH|20261127221500||DFT^P03|DFT0001|P|2.5
	// PID|1
	// MSH|^~\&|PAS|GHH|BILLING|GHH|20261127221500||DFT^P03|DFT0002|P|2.5
	// PID|1
	// BTS|2
	// FTS|1
}
