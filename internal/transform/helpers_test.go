package transform

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// er7 joins segments with CR, the way a message travels.
func er7(lines ...string) string { return strings.Join(lines, "\r") + "\r" }

func parse(t testing.TB, text string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

// fixedClock is 2026-11-27 09:30:15 UTC.
func fixedClock() time.Time { return time.Date(2026, 11, 27, 9, 30, 15, 0, time.UTC) }

func testDeps(t testing.TB) Deps {
	return Deps{Channel: "test", TableDir: "testdata", Clock: fixedClock, Destinations: []string{"ehr", "billing", "archive"}}
}

// runSteps builds a pipeline of steps and runs it on text.
func runSteps(t testing.TB, text string, steps ...Step) (Outcome, error) {
	t.Helper()
	p, err := NewPipeline(testDeps(t), "", steps...)
	if err != nil {
		return Outcome{}, err
	}
	return p.Run(context.Background(), parse(t, text))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var testMsg = er7(
	"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261127090000||ADT^A01^ADT_A01|CTRL1|P|2.5.1",
	"EVN|A01|20261127090000",
	"PID|1||12345^^^HOSP^MR~67890^^^SSA^SS||doe^john^q||19800101|M|||1 Main St^^Springfield^IL^62701||217.555.0101",
	"PV1|1|I|W1^101^A",
	"ZPI|7|VIP",
)

func parseForFuzz(s string) (*hl7.Message, error) { return hl7.Parse([]byte(s)) }
