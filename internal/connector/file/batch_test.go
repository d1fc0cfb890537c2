package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
)

func mustBatch(t testing.TB, base, yaml string) *batchDestination {
	t.Helper()
	return mustDest(t, base, yaml).(*batchDestination)
}

func flush(t testing.TB, b *batchDestination, group string, msgs []*connector.Outbound) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Flush(ctx, group, msgs); err != nil {
		t.Fatalf("Flush(%s): %v", group, err)
	}
}

func TestBatchGroupAndDue(t *testing.T) {
	base := t.TempDir()
	b := mustBatch(t, base, "path: .\ntime_zone: Europe/Berlin\nbatch:\n  schedule: \"0 2 * * *\"\n")
	berlin := mustZone(t, "Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		now, group string
	}{
		{"2026-11-27 02:00:00", "20261127-0200"},
		{"2026-11-27 13:45:10", "20261127-0200"},
		{"2026-11-28 01:59:59", "20261127-0200"},
		{"2026-11-28 02:00:00", "20261128-0200"},
		{"2026-11-27 01:00:00", "20261126-0200"},
		{"2027-01-01 00:30:00", "20261231-0200"},
		{"2026-03-01 00:00:00", "20260228-0200"},
	} {
		if g := b.Group(at(tc.now)); g != tc.group {
			t.Errorf("Group(%s) = %s, want %s", tc.now, g, tc.group)
		}
	}

	for _, tc := range []struct {
		group, now string
		held       int
		due        bool
		next       string // when not due
	}{
		{"20261127-0200", "2026-11-27 13:00:00", 5, false, "2026-11-28 02:00:00"},
		{"20261127-0200", "2026-11-28 01:59:59", 5000, false, "2026-11-28 02:00:00"},
		{"20261127-0200", "2026-11-28 02:00:00", 1, true, ""},
		{"20261127-0200", "2026-12-05 09:00:00", 1, true, ""}, // held across a long stop
		{"20261127-0200-0002", "2026-11-27 13:00:00", 1, false, "2026-11-28 02:00:00"},
		{"20261127-0200-0002", "2026-11-28 02:00:00", 1, true, ""},
		{"not-a-group", "2026-11-27 13:00:00", 1, true, ""}, // held by another configuration
		{"20261127-0200-2", "2026-11-27 13:00:00", 1, true, ""},
		{"20261127-0200-0001", "2026-11-27 13:00:00", 1, true, ""},
	} {
		due, next := b.Due(tc.group, tc.held, at(tc.now))
		var want time.Time
		if tc.next != "" {
			want = at(tc.next)
		}
		if due != tc.due || !next.Equal(want) {
			t.Errorf("Due(%s, %d, %s) = %v, %s; want %v, %s", tc.group, tc.held, tc.now, due, next, tc.due, want)
		}
	}
}

// TestBatchMaxMessages: a group written early at max_messages ends there, and the rest of
// the window goes on in a numbered group, also after a restart.
func TestBatchMaxMessages(t *testing.T) {
	base := t.TempDir()
	cfg := "path: out\ntime_zone: UTC\nbatch:\n  schedule: \"0 2 * * *\"\n  max_messages: 2\n  file_name: \"b-{{group}}-{{seq}}.hl7\"\n"
	b := mustBatch(t, base, cfg)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	g := b.Group(now)
	if g != "20261127-0200" {
		t.Fatalf("Group = %s", g)
	}
	if due, _ := b.Due(g, 1, now); due {
		t.Errorf("due with 1 of 2 messages")
	}
	if due, _ := b.Due(g, 2, now); !due {
		t.Errorf("not due with 2 of 2 messages")
	}
	flush(t, b, g, []*connector.Outbound{outbound(t, adt("M1", "\r"), 1), outbound(t, adt("M2", "\r"), 2)})
	if !exists(filepath.Join(base, "out", "b-20261127-0200-1.hl7")) {
		t.Fatalf("out holds %q", listDir(t, filepath.Join(base, "out")))
	}
	if g2 := b.Group(now.Add(time.Minute)); g2 != "20261127-0200-0002" {
		t.Errorf("Group after an early write = %s, want 20261127-0200-0002", g2)
	}
	// A restart: a new destination finds the first batch's file and names the same group.
	b2 := mustBatch(t, base, cfg)
	if g2 := b2.Group(now.Add(2 * time.Minute)); g2 != "20261127-0200-0002" {
		t.Errorf("Group after a restart = %s, want 20261127-0200-0002", g2)
	}
	flush(t, b2, "20261127-0200-0002", []*connector.Outbound{outbound(t, adt("M3", "\r"), 3)})
	if g3 := b2.Group(now.Add(3 * time.Minute)); g3 != "20261127-0200-0003" {
		t.Errorf("Group after the second write = %s", g3)
	}
	if g := b2.Group(now.Add(24 * time.Hour)); g != "20261128-0200" {
		t.Errorf("next window: %s", g)
	}
	if got, want := listDir(t, filepath.Join(base, "out")), []string{"b-20261127-0200-0002-2.hl7", "b-20261127-0200-1.hl7"}; !slices.Equal(got, want) {
		t.Errorf("out holds %q, want %q", got, want)
	}
}

// TestBatchNumberingSurvivesRestart: the system that takes batch files often moves them
// away; after a restart or a reload in the same window the next batch must not take the name
// and control ID (FHS-11) of one already delivered. The numbering is kept in the data
// directory, recorded before each file is written.
func TestBatchNumberingSurvivesRestart(t *testing.T) {
	base, data := t.TempDir(), t.TempDir()
	cfg := "path: out\ntime_zone: UTC\nbatch:\n  schedule: \"0 2 * * *\"\n  max_messages: 1\n  file_name: \"b-{{group}}.hl7\"\n"
	out := filepath.Join(base, "out")
	open := func(channel, dest string) *batchDestination {
		t.Helper()
		n, err := decodeNode(t, "destination", "type: file\n"+cfg)
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDestination(n, connector.Deps{BaseDir: base, DataDir: data, Channel: channel, Name: dest})
		if err != nil {
			t.Fatal(err)
		}
		return d.(*batchDestination)
	}
	n := 0
	deliver := func(b *batchDestination, group string) {
		t.Helper()
		n++
		flush(t, b, group, []*connector.Outbound{outbound(t, adt(fmt.Sprintf("N%d", n), "\r"), int64(n))})
		// The receiving system takes the file away.
		if err := os.Remove(filepath.Join(out, "b-"+group+".hl7")); err != nil {
			t.Fatal(err)
		}
	}
	day1 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	b := open("billing", "payer")
	for i, want := range []string{"20261127-0200", "20261127-0200-0002"} {
		if g := b.Group(day1.Add(time.Duration(i) * time.Minute)); g != want {
			t.Fatalf("group %d = %s, want %s", i+1, g, want)
		}
		deliver(b, want)
	}

	// A restart, same window.
	b = open("billing", "payer")
	if g := b.Group(day1.Add(10 * time.Minute)); g != "20261127-0200-0003" {
		t.Errorf("group after a restart = %s, want 20261127-0200-0003", g)
	}

	// A reload: the new instance is built while the old one still writes a batch.
	nb := open("billing", "payer")
	deliver(b, "20261127-0200-0003")
	if g := nb.Group(day1.Add(11 * time.Minute)); g != "20261127-0200-0004" {
		t.Errorf("group after a reload = %s, want 20261127-0200-0004", g)
	}

	// A flush of an older window retried after a newer window's: both stay recorded.
	deliver(nb, "20261128-0200")
	deliver(nb, "20261127-0200-0004")
	b = open("billing", "payer")
	if g := b.Group(day2); g != "20261128-0200-0002" {
		t.Errorf("group of the newer window after an older window's retried flush = %s, want 20261128-0200-0002", g)
	}

	// Names that look alike keep files of their own.
	if p, q := batchStatePath(data, "lab.out", "x"), batchStatePath(data, "lab", "out.x"); p == q {
		t.Errorf("channels lab.out/x and lab/out.x share the state file %s", p)
	}
	if g := open("lab.out", "x").Group(day1); g != "20261127-0200" {
		t.Errorf("another destination's numbering: %s, want its own first name", g)
	}

	// Without a data directory (channel tests) the folder alone numbers the batches.
	if g := mustBatch(t, t.TempDir(), cfg).Group(day1); g != "20261127-0200" {
		t.Errorf("without a data directory: %s", g)
	}

	// The numbering cannot be recorded: nothing is written, so that no file goes out whose
	// number a restart could give again; the flush fails and is tried again.
	ro := t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "file-batches"), []byte("not a folder"), 0o640); err != nil {
		t.Fatal(err)
	}
	nd, err := decodeNode(t, "destination", "type: file\n"+cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDestination(nd, connector.Deps{BaseDir: base, DataDir: ro, Channel: "billing", Name: "payer"})
	if err != nil {
		t.Fatal(err)
	}
	bad := d.(*batchDestination)
	g := bad.Group(day1)
	err = bad.Flush(context.Background(), g, []*connector.Outbound{outbound(t, adt("NR", "\r"), 99)})
	if err == nil || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("flush without a writable data directory: %v, want an error saying nothing was written", err)
	}
	if exists(filepath.Join(out, "b-"+g+".hl7")) {
		t.Errorf("batch %s written although its number could not be recorded", g)
	}

	// A damaged state file is reported and the folder decides; the next flush rewrites it.
	if err := os.WriteFile(batchStatePath(data, "billing", "payer"), []byte("{not json"), 0o640); err != nil {
		t.Fatal(err)
	}
	b = open("billing", "payer")
	if g := b.Group(day1.Add(20 * time.Minute)); g != "20261127-0200" {
		t.Errorf("with a damaged state file: %s, want the folder's first free name", g)
	}
}

func TestBatchFlushFile(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		envelope     string
		term         string
	}{
		{"file envelope", "", envelopeFile, "\r"},
		{"batch envelope", "  envelope: batch\n", envelopeBatch, "\r"},
		{"no envelope", "  envelope: none\n", envelopeNone, "\r"},
		{"crlf", "", envelopeFile, "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			cfg := "path: billing/{{date:2006}}\ntime_zone: Europe/Berlin\n"
			if tc.term == "\r\n" {
				cfg += "segment_terminator: crlf\n"
			}
			cfg += "batch:\n  schedule: \"0 2 * * *\"\n  file_name: \"BILL_{{group}}.txt\"\n  sending_application: COURIER^1.2.3^ISO\n" +
				"  sending_facility: GENERAL\n  receiving_application: BILLING\n  receiving_facility: BUREAU\n  comment: \"daily charges | R&D\"\n" + tc.config
			b := mustBatch(t, base, cfg)
			raws := []string{adt("B1", "\r"), adt("B2", "\n"), adt("B3", "\r\n")}
			var msgs []*connector.Outbound
			for i, raw := range raws {
				o := outbound(t, raw, int64(i+1))
				o.Received = time.Date(2026, 11, 27, 10, i, 0, 0, time.UTC)
				msgs = append(msgs, o)
			}
			const group = "20261127-0200"
			flush(t, b, group, msgs)
			path := filepath.Join(base, "billing", "2026", "BILL_20261127-0200.txt")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; billing holds %q", err, listDir(t, filepath.Join(base, "billing", "2026")))
			}
			if tc.term == "\r\n" && (strings.Count(string(data), "\r\n") != strings.Count(string(data), "\r") || strings.Count(string(data), "\r") == 0) {
				t.Errorf("segments not ended by CR LF: %q", data)
			}
			f, err := hl7.ParseFile(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Check(); err != nil {
				t.Errorf("Check: %v", err)
			}
			all := f.Messages()
			if len(all) != 3 {
				t.Fatalf("%d messages", len(all))
			}
			for i, m := range all {
				want := strings.ReplaceAll(string(toCR([]byte(raws[i]))), "\r", tc.term)
				if string(m.Bytes()) != want {
					t.Errorf("message %d: %q, want %q", i+1, m.Bytes(), want)
				}
			}
			switch tc.envelope {
			case envelopeFile:
				h := f.Header
				for path, want := range map[string]string{
					"FHS-3.1": "COURIER", "FHS-3.2": "1.2.3", "FHS-4": "GENERAL", "FHS-5": "BILLING", "FHS-6": "BUREAU",
					"FHS-7": "20261127110200+0100", "FHS-9": "BILL_20261127-0200.txt", "FHS-10": "daily charges | R&D", "FHS-11": group,
				} {
					if got := h.Get(path); got != want {
						t.Errorf("%s = %q, want %q", path, got, want)
					}
				}
				if f.Trailer.Get("FTS-1") != "1" {
					t.Errorf("FTS-1 = %q", f.Trailer.Get("FTS-1"))
				}
				fallthrough
			case envelopeBatch:
				bt := f.Batches[0]
				if bt.Header.Get("BHS-11") != group || bt.Header.Get("BHS-3.1") != "COURIER" || bt.Header.Get("BHS-9") != "" {
					t.Errorf("BHS: %q", bt.Header.Bytes())
				}
				if bt.Trailer.Get("BTS-1") != "3" {
					t.Errorf("BTS-1 = %q", bt.Trailer.Get("BTS-1"))
				}
				if tc.envelope == envelopeBatch && f.Header != nil {
					t.Errorf("FHS written with envelope: batch")
				}
			case envelopeNone:
				if f.Header != nil || f.Batches[0].Header != nil || f.Batches[0].Trailer != nil {
					t.Errorf("envelope written with envelope: none: %q", data)
				}
			}

			// A retried flush (a crash before the engine recorded it) writes the same file.
			flush(t, b, group, msgs)
			again, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(data) {
				t.Errorf("second flush wrote different content:\n%q\n%q", data, again)
			}
			if tmp := tempFiles(t, base); len(tmp) > 0 {
				t.Errorf("temporary files left: %q", tmp)
			}
		})
	}
}

func TestBatchFlushRefusesBadMessage(t *testing.T) {
	base := t.TempDir()
	b := mustBatch(t, base, "path: .\nbatch: {}\n")
	msgs := []*connector.Outbound{outbound(t, adt("OK", "\r"), 1), {Content: []byte("garbage"), MessageID: 2}}
	err := b.Flush(context.Background(), "20261127-0000", msgs)
	if err == nil || !strings.HasPrefix(err.Error(), "file destination: batch 20261127-0000: message 2 cannot be written into a batch file: ") {
		t.Errorf("Flush: %v", err)
	}
	if got := listDir(t, base); len(got) != 0 {
		t.Errorf("folder holds %q", got)
	}
	if _, err := b.Send(context.Background(), outbound(t, adt("X", "\r"), 3)); err == nil {
		t.Errorf("Send on a batch destination succeeded")
	}
}

func TestBatchFlushNDJSON(t *testing.T) {
	base := t.TempDir()
	b := mustBatch(t, base, "path: .\nbatch:\n  file_name: \"{{group}}.ndjson\"\n  envelope: file\n")
	docs := []string{
		"{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"message\",\n  \"entry\": [ ]\n}",
		`{"resourceType":"Bundle","id":"b2","note":"line\nbreak | ^~\\&"}`,
		`  {"a": [1, 2, {"b": null}]}  `,
	}
	types := []string{"application/fhir+json", "application/fhir+json", "application/json"}
	var msgs []*connector.Outbound
	for i, d := range docs {
		msgs = append(msgs, &connector.Outbound{Content: []byte(d), ContentType: types[i], MessageID: int64(i + 1)})
	}
	flush(t, b, "20261127-0000", msgs)
	data, err := os.ReadFile(filepath.Join(base, "20261127-0000.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Bundle","type":"message","entry":[]}` + "\n" +
		`{"resourceType":"Bundle","id":"b2","note":"line\nbreak | ^~\\&"}` + "\n" +
		`{"a":[1,2,{"b":null}]}` + "\n"
	if string(data) != want {
		t.Errorf("batch file:\n%s\nwant:\n%s", data, want)
	}
}

func TestBatchFlushRefusesMixedOrXML(t *testing.T) {
	json := func(id int64, s string) *connector.Outbound {
		return &connector.Outbound{Content: []byte(s), ContentType: "application/fhir+json", MessageID: id}
	}
	for _, tc := range []struct {
		name string
		msgs []*connector.Outbound
		err  string
	}{
		{"xml", []*connector.Outbound{{Content: []byte("<ADT_A01/>"), ContentType: "application/xml", MessageID: 7}},
			"file destination: batch 20261127-0000: message 7 is application/xml, which cannot be gathered into a batch file: write such messages one per file (no `batch`), or encode them as JSON (written one per line)"},
		{"hl7 then json", []*connector.Outbound{outbound(t, adt("A", "\r"), 1), json(2, `{}`)},
			"file destination: batch 20261127-0000: message 2 is JSON but message 1 is HL7 v2: one batch file holds one kind; give each kind its own destination"},
		{"json then hl7", []*connector.Outbound{json(3, `{}`), outbound(t, adt("A", "\r"), 4)},
			"file destination: batch 20261127-0000: message 4 is HL7 v2 but message 3 is JSON: one batch file holds one kind; give each kind its own destination"},
		{"not json", []*connector.Outbound{json(5, `{}`), json(6, `{"a":`)},
			"file destination: batch 20261127-0000: message 6 cannot be written into a batch file: its content is labelled application/fhir+json but is not JSON: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			b := mustBatch(t, base, "path: .\nbatch: {}\n")
			err := b.Flush(context.Background(), "20261127-0000", tc.msgs)
			if err == nil || err.Error() != tc.err {
				t.Errorf("Flush:\n got %v\nwant %s", err, tc.err)
			}
			if got := listDir(t, base); len(got) != 0 {
				t.Errorf("folder holds %q", got)
			}
		})
	}
}
