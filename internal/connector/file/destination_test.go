package file

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
)

// outbound returns what the engine hands a destination for raw.
func outbound(t testing.TB, raw string, id int64) *connector.Outbound {
	t.Helper()
	out := &connector.Outbound{Content: []byte(raw), MessageID: id, EntryID: id + 1000, Attempt: 1,
		Received: time.Date(2026, 11, 27, 2, 5, 0, 0, time.UTC)}
	if m, err := hl7.Parse(out.Content); err == nil {
		out.Message = m
	}
	return out
}

func send(t testing.TB, d connector.Destination, out *connector.Outbound) (connector.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Send(ctx, out)
}

// tempFiles returns the temporary files left anywhere under dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".tmp") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDestinationWrites(t *testing.T) {
	base := t.TempDir()
	d := mustDest(t, base, "path: out/{{date:2006/01/02}}\nfile_name: \"{{MSH-9.1}}/{{MSH-10}}_{{seq}}.hl7\"\ntime_zone: America/New_York\n")
	raw := adt("C1", "\r")
	resp, err := send(t, d, outbound(t, raw, 7))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(base, "out", "2026", "11", "26", "ADT", "C1_1007.hl7") // 02:05 UTC is 21:05 the day before in New York
	if !resp.OK || resp.Code != "WRITTEN" || string(resp.Raw) != want {
		t.Errorf("response %+v, want OK WRITTEN %s", resp, want)
	}
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != raw {
		t.Errorf("content %q, want %q", got, raw)
	}
	for path, mode := range map[string]os.FileMode{want: 0o640, filepath.Dir(want): 0o750 | os.ModeDir, filepath.Join(base, "out", "2026"): 0o750 | os.ModeDir} {
		if info, err := os.Stat(path); err != nil || info.Mode() != mode {
			t.Errorf("%s: mode %v, %v; want %v", path, info.Mode(), err, mode)
		}
	}
	if tmp := tempFiles(t, base); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}

	// A message that does not parse is written as it is, its path values as _.
	bad := &connector.Outbound{Content: []byte("not hl7"), MessageID: 8, EntryID: 9, Received: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	resp, err = send(t, d, bad)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "out", "2026", "11", "27", "_", "__9.hl7"); string(resp.Raw) != want {
		t.Errorf("unparsed message written to %s, want %s", resp.Raw, want)
	}
}

func TestDestinationExists(t *testing.T) {
	first, second := adt("SAME", "\r"), adt("SAME", "\r")+"NTE|1||second\r"
	for _, tc := range []struct {
		policy string
		files  map[string]string // what the folder holds after three sends
		err    error             // of the second and third send
	}{
		{existsOverwrite, map[string]string{"SAME.hl7": second}, nil},
		{existsFail, map[string]string{"SAME.hl7": first}, errNameTaken},
		{existsSuffix, map[string]string{"SAME.hl7": first, "SAME-1.hl7": second, "SAME-2.hl7": second}, nil},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			base := t.TempDir()
			d := mustDest(t, base, "path: .\nexists: "+tc.policy+"\n")
			if _, err := send(t, d, outbound(t, first, 1)); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err := send(t, d, outbound(t, second, 2))
				if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
					t.Fatalf("second send: %v, want %v", err, tc.err)
				}
			}
			got := map[string]string{}
			for _, name := range listDir(t, base) {
				b, err := os.ReadFile(filepath.Join(base, name))
				if err != nil {
					t.Fatal(err)
				}
				got[name] = string(b)
			}
			if len(got) != len(tc.files) {
				t.Errorf("folder holds %q", listDir(t, base))
			}
			for name, content := range tc.files {
				if got[name] != content {
					t.Errorf("%s = %q, want %q", name, got[name], content)
				}
			}
		})
	}
}

func TestDestinationTerminators(t *testing.T) {
	for _, tc := range []struct {
		term, in, want string
	}{
		{termCR, "MSH|^~\\&|A\rPID|1\r", "MSH|^~\\&|A\rPID|1\r"},
		{termCR, "MSH|^~\\&|A\rPID|1", "MSH|^~\\&|A\rPID|1\r"},
		{termCR, "MSH|^~\\&|A\nPID|1\n", "MSH|^~\\&|A\rPID|1\r"},
		{termCR, "MSH|^~\\&|A\r\nPID|1\r\n", "MSH|^~\\&|A\rPID|1\r"},
		{termCR, "MSH|^~\\&|A\rNTE|1||line one\nline two\r", "MSH|^~\\&|A\rNTE|1||line one\nline two\r"},
		{termLF, "MSH|^~\\&|A\rPID|1\r", "MSH|^~\\&|A\nPID|1\n"},
		{termLF, "MSH|^~\\&|A\r\nPID|1\r\n", "MSH|^~\\&|A\nPID|1\n"},
		{termLF, "MSH|^~\\&|A\nPID|1\rOBX|1\n", "MSH|^~\\&|A\nPID|1\nOBX|1\n"},
		{termCRLF, "MSH|^~\\&|A\rPID|1\r", "MSH|^~\\&|A\r\nPID|1\r\n"},
		{termCRLF, "MSH|^~\\&|A\nPID|1\n", "MSH|^~\\&|A\r\nPID|1\r\n"},
		{termCRLF, "MSH|^~\\&|A\r\nPID|1\r\n", "MSH|^~\\&|A\r\nPID|1\r\n"},
		{termCRLF, "MSH|^~\\&|A\r\nNTE|1||a\nb\r\n", "MSH|^~\\&|A\r\nNTE|1||a\nb\r\n"},
	} {
		base := t.TempDir()
		d := mustDest(t, base, "path: .\nfile_name: x.hl7\nsegment_terminator: "+tc.term+"\n")
		if _, err := send(t, d, outbound(t, tc.in, 1)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(base, "x.hl7"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s of %q: %q, want %q", tc.term, tc.in, got, tc.want)
		}
	}
}

// TestDestinationEncodedBody: what an encode or fhir step made is written byte for byte,
// whatever the segment terminator.
func TestDestinationEncodedBody(t *testing.T) {
	body := "{\n  \"resourceType\": \"Bundle\",\r\n  \"type\": \"transaction\"\n}"
	for _, term := range []string{termCR, termLF, termCRLF} {
		base := t.TempDir()
		d := mustDest(t, base, "path: .\nfile_name: \"{{MSH-10}}.json\"\nsegment_terminator: "+term+"\n")
		out := outbound(t, adt("B1", "\r"), 1)
		out.Content, out.ContentType = []byte(body), "application/fhir+json"
		if _, err := send(t, d, out); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(base, "B1.json"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != body {
			t.Errorf("%s: wrote %q, want the body as it is, %q", term, got, body)
		}
	}
}

// TestDestinationAtomic overwrites one file again and again while readers watch the folder:
// every file a reader can open is complete, and no temporary file is left at the end.
func TestDestinationAtomic(t *testing.T) {
	base := t.TempDir()
	d := mustDest(t, base, "path: .\nfile_name: big.hl7\nexists: overwrite\n")
	const payload = 256 << 10
	version := func(i int) string {
		return "MSH|^~\\&|A|B|C|D|20261127||ADT^A01|BIG|P|2.5\rNTE|1||" + strings.Repeat(string(rune('A'+i)), payload) + "\r"
	}
	size := len(version(0))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var checked atomic.Int64
	errs := make(chan error, 4)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				entries, _ := os.ReadDir(base)
				for _, e := range entries {
					name := e.Name()
					if strings.HasPrefix(name, ".") {
						continue // a temporary file: hidden from readers that skip dot files
					}
					b, err := os.ReadFile(filepath.Join(base, name))
					if err != nil {
						errs <- err
						return
					}
					at := bytes.Index(b, []byte("NTE|1||")) + 7
					if len(b) != size || at < 7 || len(bytes.Trim(b[at:at+payload], string(b[at:at+1]))) != 0 {
						errs <- errors.New("a reader saw a partial or mixed file: " + name)
						return
					}
					checked.Add(1)
				}
			}
		}()
	}
	for i := range 20 {
		if _, err := send(t, d, outbound(t, version(i), int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for checked.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if checked.Load() == 0 {
		t.Error("the readers never read the file")
	}
	if got := listDir(t, base); !slices.Equal(got, []string{"big.hl7"}) {
		t.Errorf("folder holds %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(base, "big.hl7")); string(b) != version(19) {
		t.Errorf("final content is not the last version")
	}
}

func TestDestinationWriteFailure(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "blocked"), "a file where a folder should be")
	d := mustDest(t, base, "path: blocked/sub\n")
	_, err := send(t, d, outbound(t, adt("F1", "\r"), 1))
	if err == nil || err.Error() != "file destination: create folder: stat "+filepath.Join(base, "blocked", "sub")+": not a directory" {
		t.Errorf("send into a file: %v", err)
	}
	if tmp := tempFiles(t, base); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

// TestDestinationLongName: values that together make a name longer than file systems allow
// are cut, rather than failing every delivery of the message (and, in FIFO order, holding up
// every message after it).
func TestDestinationLongName(t *testing.T) {
	base := t.TempDir()
	d := mustDest(t, base, "path: out\nfile_name: \"{{MSH-10}}_{{MSH-10}}_{{MSH-10}}_{{MSH-10}}_{{MSH-10}}.hl7\"\n")
	raw := adt(strings.Repeat("9", 300), "\r")
	for i := range 2 {
		resp, err := send(t, d, outbound(t, raw, int64(i+1)))
		if err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
		name := filepath.Base(string(resp.Raw))
		if len(name) > 255 || !strings.HasSuffix(name, ".hl7") {
			t.Errorf("send %d wrote %q (%d bytes)", i+1, name, len(name))
		}
	}
	if got := listDir(t, filepath.Join(base, "out")); len(got) != 2 || !strings.HasSuffix(got[0], "-1.hl7") {
		t.Errorf("folder holds %q; want the name and the name with -1", got)
	}
}
