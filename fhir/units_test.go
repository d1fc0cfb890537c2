package fhir

import (
	"strings"
	"testing"
	"time"
)

func TestParseV2Time(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		in       string
		loc      *time.Location
		dateTime string // "" when invalid
		date     string
		instant  string
	}{
		{"2024", nil, "2024", "2024", ""},
		{"202403", nil, "2024-03", "2024-03", ""},
		{"20240315", nil, "2024-03-15", "2024-03-15", "2024-03-15T00:00:00+00:00"},
		{"20240315", ny, "2024-03-15", "2024-03-15", "2024-03-15T00:00:00-04:00"},
		{"2024031514", nil, "2024-03-15T14:00:00+00:00", "2024-03-15", "2024-03-15T14:00:00+00:00"},
		{"202403151430", ny, "2024-03-15T14:30:00-04:00", "2024-03-15", "2024-03-15T14:30:00-04:00"},
		{"20240115143000", ny, "2024-01-15T14:30:00-05:00", "2024-01-15", "2024-01-15T14:30:00-05:00"},
		{"20240315143012.1234", nil, "2024-03-15T14:30:12.1234+00:00", "2024-03-15", "2024-03-15T14:30:12.1234+00:00"},
		{"20240315143012-0500", ny, "2024-03-15T14:30:12-05:00", "2024-03-15", "2024-03-15T14:30:12-05:00"},
		{"198908181126+0215", nil, "1989-08-18T11:26:00+02:15", "1989-08-18", "1989-08-18T11:26:00+02:15"},
		{"20240315+1400", nil, "2024-03-15", "2024-03-15", "2024-03-15T00:00:00+14:00"},
		{"20240315143012^S", nil, "2024-03-15T14:30:12+00:00", "2024-03-15", "2024-03-15T14:30:12+00:00"},
		{"  20240315  ", nil, "2024-03-15", "2024-03-15", "2024-03-15T00:00:00+00:00"},
		{"20240230", nil, "", "", ""}, // 30 February
		{"20240310023000", ny, "2024-03-10T01:30:00-05:00", "2024-03-10", "2024-03-10T01:30:00-05:00"}, // skipped by the DST change: normalized as time.Date does
		{"20241315", nil, "", "", ""},      // month 13
		{"2024031525", nil, "", "", ""},    // hour 25
		{"20240315+1500", nil, "", "", ""}, // offset out of range
		{"20240315-1300", nil, "", "", ""}, // hl7 accepts -1200 to +1400
		{"20240315143012.5", nil, "2024-03-15T14:30:12.5+00:00", "2024-03-15", "2024-03-15T14:30:12.5+00:00"},
		{"20240315143012.05", nil, "2024-03-15T14:30:12.05+00:00", "2024-03-15", "2024-03-15T14:30:12.05+00:00"},
		{"20240315+05", nil, "", "", ""},  // short offset
		{"2024031514.5", nil, "", "", ""}, // fraction without seconds
		{"20240315143012.12345", nil, "", "", ""},
		{"0000", nil, "", "", ""},
		{"2024-03-15", nil, "", "", ""},
		{"24", nil, "", "", ""},
		{"", nil, "", "", ""},
	}
	for _, tt := range tests {
		v, ok := parseV2Time(tt.in, tt.loc)
		if !ok {
			if tt.dateTime != "" {
				t.Errorf("parseV2Time(%q) failed, want %s", tt.in, tt.dateTime)
			}
			continue
		}
		if tt.dateTime == "" {
			t.Errorf("parseV2Time(%q) = %s, want an error", tt.in, v.dateTime())
			continue
		}
		if got := v.dateTime(); got != tt.dateTime {
			t.Errorf("parseV2Time(%q).dateTime() = %s, want %s", tt.in, got, tt.dateTime)
		}
		if got := v.date(); got != tt.date {
			t.Errorf("parseV2Time(%q).date() = %s, want %s", tt.in, got, tt.date)
		}
		got, ok := v.instant()
		if !ok {
			got = ""
		}
		if got != tt.instant {
			t.Errorf("parseV2Time(%q).instant() = %s, want %s", tt.in, got, tt.instant)
		}
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1.50", "1.50", true},
		{"+1.5", "1.5", true},
		{"-0.25", "-0.25", true},
		{".5", "0.5", true},
		{"007", "7", true},
		{"1.", "", false},
		{"-0", "0", true},
		{"-0.0", "0.0", true},
		{" 42 ", "42", true},
		{"1e5", "", false},
		{"1,5", "", false},
		{"", "", false},
		{"-", "", false},
		{"+.", "", false},
		{"abc", "", false},
	}
	for _, tt := range tests {
		got, ok := decimal(tt.in)
		if ok != tt.ok || string(got) != tt.want {
			t.Errorf("decimal(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestUUID5(t *testing.T) {
	// RFC 9562 appendix A.4: the version 5 UUID of "www.example.com" in the DNS namespace.
	ns, err := parseUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err != nil {
		t.Fatal(err)
	}
	if got := newUUID5(ns, []byte("www.example.com")); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("newUUID5 = %s", got)
	}
	url, _ := parseUUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
	if got := newUUID5(url, []byte("https://github.com/courier-hl7/courier/fhir")); got != DefaultNamespace {
		t.Errorf("DefaultNamespace is not the documented UUID: %s", got)
	}
}

// TestIDHasher wants the ids of idHasher, which reuses the SHA-1 state of a name's first
// block for the next name that begins with the same bytes, and remembers names looked up
// again, to be those of uuid5Sum, in sequences that hit and miss both.
func TestIDHasher(t *testing.T) {
	ns, err := parseUUID(DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := parseUUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
	long := "Observation/placer|EHR||PL100/report/24323-8/obx/"
	names := []string{
		long + "1/2001-1/",
		long + "2/2002-2/",              // the same first block
		"Organization/hd|GH|",           // one block
		long + "2/2002-2/",              // again, after a one-block name
		"Provenance/LAB|GHLAB|BENCH1/x", // 45 bytes with the namespace: one block
		long[:idHead-1] + "Z/1",         // differs in the last byte of the first block
		long[:idHead],                   // exactly the first block's bytes, nothing after
		long + strings.Repeat("x", 200), // several blocks
		"",                              // the empty name
		long + "30/2030-0/\u00e9\r\n",   // bytes JSON would escape
	}
	var x idHasher
	for round := 0; round < 2; round++ {
		for _, n := range names {
			for _, space := range []uuid{ns, other} {
				want := uuid5Sum(space, []byte(n))
				if got := x.sum(space, []byte(n)); got != want {
					t.Errorf("sum(%q) = %x, want %x", n, got, want)
				}
				if got := x.remembered(space, []byte(n)); got != want {
					t.Errorf("remembered(%q) = %x, want %x", n, got, want)
				}
			}
		}
		x.forget()
	}
}

func TestMimeOf(t *testing.T) {
	tests := []struct{ typ, sub, want string }{
		{"AP", "PDF", "application/pdf"},
		{"TX", "", "text/plain"},
		{"IM", "JPEG", "image/jpeg"},
		{"application", "octet-stream", "application/octet-stream"},
		{"NS", "Octet-stream", ""},
		{"", "text/html", "text/html"},
		{"AP", "bad type", ""},
	}
	for _, tt := range tests {
		if got := mimeOf(tt.typ, tt.sub); got != tt.want {
			t.Errorf("mimeOf(%q, %q) = %q, want %q", tt.typ, tt.sub, got, tt.want)
		}
	}
}
