package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/fhir/internal/schematest"
	"github.com/courier-hl7/courier/hl7"
)

const corpusDir = "../../shared/corpus"

// goldenOptions are the options of the golden tests: a channel in New York that knows the
// system of one assigning authority.
func goldenOptions(t testing.TB) Options {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return Options{
		Location:          ny,
		IdentifierSystems: map[string]string{"GH": "http://hospital.example.org/mrn"},
	}
}

func mustConvert(t testing.TB, c *Converter, data []byte) []byte {
	t.Helper()
	m, err := hl7.Parse(data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	b, err := c.Convert(m)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	js, err := b.JSON()
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return js
}

// TestGolden converts the synthetic messages of testdata/ and compares the Bundles with
// testdata/golden/*.json (-update rewrites them), checking each against the FHIR schema and
// the invariants.
func TestGolden(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.hl7")
	if len(files) == 0 {
		t.Fatal("no test messages in testdata")
	}
	s := fhirSchemaOrNil(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			js := mustConvert(t, c, data)
			for _, p := range checkBundle(s, js) {
				t.Error(p)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, js, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(filepath.Base(f), ".hl7")+".json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from the conversion (run go test -update and review the diff)", golden)
			}
		})
	}
}

// fhirSchemaOrNil is fhirSchema for tests that still check the invariants without it.
func fhirSchemaOrNil(t *testing.T) (s *schematest.Schema) {
	t.Helper()
	defer func() {
		if t.Skipped() {
			s = nil
		}
	}()
	ok := t.Run("schema", func(t *testing.T) { s = fhirSchema(t) })
	if !ok {
		t.FailNow()
	}
	return s
}

// TestCorpus converts every message of ../shared/corpus whose type is supported, checks
// the Bundle against the FHIR schema and the invariants, and checks that an unsupported type
// gives an *UnsupportedError.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.hl7"))
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no corpus at %s", corpusDir)
		}
		t.Skipf("no corpus at %s; skipping", corpusDir)
	}
	s := fhirSchemaOrNil(t)
	for _, bt := range []string{BundleTransaction, BundleMessage, BundleCollection, BundleBatch} {
		c, err := NewConverter(Options{BundleType: bt})
		if err != nil {
			t.Fatal(err)
		}
		converted := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := hl7.Parse(data)
			if err != nil {
				continue // the parser's own tests cover unreadable messages
			}
			b, err := c.Convert(m)
			if err != nil {
				var ue *UnsupportedError
				if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) {
					t.Errorf("%s: %v", filepath.Base(f), err)
				}
				continue
			}
			converted++
			js, err := b.JSON()
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, p := range checkBundle(s, js) {
				t.Errorf("%s (%s): %s", filepath.Base(f), bt, p)
			}
		}
		if bt == BundleTransaction {
			t.Logf("%d of %d corpus messages have a mapped type and convert", converted, len(files))
		}
	}
}

// TestDeterminism converts each message twice, and its CR, LF, CR LF and byte-order-mark
// variants, and wants the same bytes every time.
func TestDeterminism(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.hl7")
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.hl7"))
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		norm := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\r")), []byte("\n"), []byte("\r"))
		m, err := hl7.Parse(norm)
		if err != nil {
			continue
		}
		b, err := c.Convert(m)
		if err != nil {
			continue
		}
		want, _ := b.JSON()
		variants := map[string][]byte{
			"again":  norm,
			"LF":     bytes.ReplaceAll(norm, []byte("\r"), []byte("\n")),
			"CRLF":   bytes.ReplaceAll(norm, []byte("\r"), []byte("\r\n")),
			"BOM":    append([]byte("\xef\xbb\xbf"), norm...),
			"BOM+LF": append([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(norm, []byte("\r"), []byte("\n"))...),
		}
		for name, v := range variants {
			if got := mustConvert(t, c, v); !bytes.Equal(got, want) {
				t.Errorf("%s: the %s variant converts differently", filepath.Base(f), name)
			}
		}
	}
}

// TestSamePatientSameID checks that a patient has one id across messages and message types.
func TestSamePatientSameID(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, f := range []string{"adt_a01.hl7", "oru_r01.hl7", "orm_o01.hl7", "mdm_t02.hl7", "oml_o21.hl7"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := hl7.Parse(data)
		b, err := c.Convert(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Resources() {
			if p, ok := r.(*Patient); ok {
				ids[f] = p.ID
			}
		}
	}
	// orm_o01.hl7 names the authority GH without its OID, so its key differs by design.
	if ids["adt_a01.hl7"] == "" || ids["adt_a01.hl7"] != ids["oru_r01.hl7"] || ids["oru_r01.hl7"] != ids["mdm_t02.hl7"] || ids["mdm_t02.hl7"] != ids["oml_o21.hl7"] {
		t.Errorf("patient ids differ between messages: %v", ids)
	}
	other, _ := NewConverter(Options{Namespace: "6ba7b811-9dad-11d1-80b4-00c04fd430c8"})
	data, _ := os.ReadFile("testdata/adt_a01.hl7")
	m, _ := hl7.Parse(data)
	b, _ := other.Convert(m)
	for _, r := range b.Resources() {
		if p, ok := r.(*Patient); ok && p.ID == ids["adt_a01.hl7"] {
			t.Error("another namespace gives the same patient id")
		}
	}
}

func TestNewConverterErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Namespace: "nope"}, `fhir: namespace: "nope" is not a UUID in the 8-4-4-4-12 form`},
		{Options{BundleType: "document"}, `fhir: bundle type "document": use transaction, message, collection or batch`},
		{Options{IdentifierSystems: map[string]string{"GH": "not a uri"}}, `fhir: identifier system for "GH": "not a uri" is not a URI`},
		{Options{CodeSystems: map[string]string{"L": "x"}}, `fhir: code system for "L": "x" is not a URI`},
		{Options{SourceEndpoint: "mllp host"}, `fhir: source endpoint "mllp host" is not a URI`},
	}
	for _, tt := range tests {
		_, err := NewConverter(tt.opts)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewConverter(%+v) = %v, want %s", tt.opts, err, tt.want)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	c, _ := NewConverter(Options{})
	tests := []struct {
		msg  string
		want string
		is   error
	}{
		{"MSH|^~\\&|A|B|C|D|20240101||ACK^A01|1|P|2.5\rMSA|AA|1", `fhir: message type "ACK^A01" (MSH-9) not supported: the converter maps ` + strings.Join(Supported(), ", "), ErrUnsupported},
		{"MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rOBR|1", `fhir: ORU^R01: PID: required segment missing: a patient is needed to map this message type`, ErrMissingSegment},
		{"MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5\rPID|1||X", `fhir: SIU^S12: SCH: required segment missing: an SIU message needs its SCH segment`, ErrMissingSegment},
	}
	for _, tt := range tests {
		m, err := hl7.Parse([]byte(tt.msg))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Convert(m)
		if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("Convert(%q) = %v, want %s", tt.msg, err, tt.want)
		}
	}
}

func TestSupported(t *testing.T) {
	want := "ADT^A01 ADT^A02 ADT^A03 ADT^A04 ADT^A05 ADT^A08 ADT^A11 ADT^A13 ADT^A28 ADT^A31 ADT^A40 MDM^T02 OML^O21 ORM^O01 ORU^R01 SIU^S12 VXU^V04"
	if got := strings.Join(Supported(), " "); got != want {
		t.Errorf("Supported() = %s", got)
	}
}

func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hl7")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("MSH|^~\\&|||||||ORU^R01|1|P|2.5\rPID|||1\rOBR|1\rOBX|1|SN|x||<>^1^:^\rOBX|2|NM|y||+.5e3"))
	f.Add([]byte("MSH|^~\\&|||||||ADT^A01\rPID|||^^^&&\rPV1||I|^^^&&&"))
	f.Add([]byte(observationsMessage))
	c, err := NewConverter(Options{})
	if err != nil {
		f.Fatal(err)
	}
	// A batch Bundle has no urn:uuid: references and a message Bundle no requests: the
	// identity of AppendJSON with Convert is checked with each.
	batch, err := NewConverter(Options{BundleType: BundleBatch})
	if err != nil {
		f.Fatal(err)
	}
	message, err := NewConverter(Options{BundleType: BundleMessage})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		for _, c := range []*Converter{c, batch, message} {
			if d := checkIdentity(c, m); d != "" {
				t.Fatalf("%s Bundle: %s", c.bundleType, d)
			}
		}
		b, err := c.Convert(m)
		if err != nil {
			return
		}
		js, err := b.JSON()
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		if !json.Valid(js) {
			t.Fatalf("invalid JSON: %s", js)
		}
		if want := encodingJSON(t, b); !bytes.Equal(js, want) {
			t.Fatalf("the generated encoder differs from encoding/json:\n%s\n%s", js, want)
		}
	})
}

// encodingJSON is what encoding/json writes for b, the reference for the generated encoder.
func encodingJSON(t testing.TB, b *Bundle) []byte {
	type plain Bundle // without the MarshalJSON method
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*plain)(b)); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestJSONEncoderMatchesEncodingJSON compares the generated encoder with encoding/json on
// every test message and corpus message, and on strings that need escaping.
func TestJSONEncoderMatchesEncodingJSON(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.hl7")
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.hl7"))
	n := 0
	for _, f := range append(files, more...) {
		data, _ := os.ReadFile(f)
		m, err := hl7.Parse(data)
		if err != nil {
			continue
		}
		b, err := c.Convert(m)
		if err != nil {
			continue
		}
		got, _ := b.JSON()
		if want := encodingJSON(t, b); !bytes.Equal(got, want) {
			t.Errorf("%s: the generated encoder differs from encoding/json", f)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no message converted")
	}
	for _, s := range []string{"plain", `quote " and \ backslash`, "ctl \x00\x01\x1f \b\f\n\r\t", "<html>&amp;", "bad \xff utf8 \xe2\x82", "sep \u2028 \u2029", "é ü 中文 😀"} {
		p := &Patient{base: base{Type: "Patient", ID: "x"}, Gender: s}
		b := &Bundle{ResourceType: "Bundle", Type: "collection", Entry: []Entry{{Resource: p}}}
		got, _ := b.JSON()
		if want := encodingJSON(t, b); !bytes.Equal(got, want) {
			t.Errorf("string %q: got %s, want %s", s, got, want)
		}
	}
}
