package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	w := NewWriter()
	w.String("PID")
	w.Uint(5)
	w.String("")
	w.String("Patient Name")
	w.Uint(300)
	w.String("PID")
	file, err := Compress(w.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != "PID" {
		t.Errorf("String() = %q, want PID", got)
	}
	if got := r.Uint(); got != 5 {
		t.Errorf("Uint() = %d, want 5", got)
	}
	if got := r.String(); got != "" {
		t.Errorf("String() = %q, want empty", got)
	}
	if got := r.String(); got != "Patient Name" {
		t.Errorf("String() = %q, want Patient Name", got)
	}
	if got := r.Uint(); got != 300 {
		t.Errorf("Uint() = %d, want 300", got)
	}
	if got := r.String(); got != "PID" {
		t.Errorf("String() = %q, want PID", got)
	}
	if err := r.Done(); err != nil {
		t.Errorf("Done() = %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	build := func(order []string) []byte {
		w := NewWriter()
		for _, s := range order {
			w.String(s)
		}
		file, err := Compress(w.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return file
	}
	a := build([]string{"b", "a", "c", "a"})
	b := build([]string{"b", "a", "c", "a"})
	if !bytes.Equal(a, b) {
		t.Error("the same writes gave different files")
	}
}

func TestBadInput(t *testing.T) {
	good := func() []byte {
		w := NewWriter()
		w.String("x")
		w.Uint(1)
		return w.Bytes()
	}()
	tests := []struct {
		name    string
		payload []byte
	}{
		{"wrong magic", append([]byte("HL7DICT\x02"), good[len(Magic):]...)},
		{"cut string table", good[:len(Magic)+2]},
		{"unsorted table", append([]byte(Magic), 3, 0, 1, 'b', 1, 'a')},
		{"huge count", append([]byte(Magic), 0xff, 0xff, 0xff, 0x7f)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, err := Compress(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := NewReader(file); !errors.Is(err, ErrFormat) {
				t.Errorf("NewReader() error = %v, want ErrFormat", err)
			}
		})
	}
	if _, err := NewReader([]byte("not gzip")); !errors.Is(err, ErrFormat) {
		t.Errorf("NewReader(not gzip) error = %v, want ErrFormat", err)
	}

	// Reading past the end and leaving bytes over are both format errors.
	file, _ := Compress(good)
	r, err := NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.String()
	if err := r.Done(); !errors.Is(err, ErrFormat) {
		t.Errorf("Done() with a number left = %v, want ErrFormat", err)
	}
	_ = r.Uint()
	_ = r.Uint()
	if err := r.Err(); !errors.Is(err, ErrFormat) {
		t.Errorf("Err() after reading past the end = %v, want ErrFormat", err)
	}
	r2, _ := NewReader(file)
	_ = r2.Uint()
	_ = r2.Uint()
	_ = r2.String() // string index 1 exists ("x"), index beyond does not: read past end first
	if err := r2.Err(); !errors.Is(err, ErrFormat) {
		t.Errorf("Err() = %v, want ErrFormat", err)
	}
}
