package gen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// The package's data files are CommonJS modules holding one JSON literal each:
//
//	var fields = {...};
//
//	module.exports = fields;
//
// They are read as JSON after the two statements around the literal are cut off; a file of
// another shape is an error, so a changed package cannot be half read.
var moduleRE = regexp.MustCompile(`(?s)\Avar (\w+) = (.*);\s*module\.exports = (\w+);\s*\z`)

// maxEntry bounds one file read from the tarball. The largest in 1.0.1 is 2.0 MB.
const maxEntry = 64 << 20

// readTarball returns the regular files of a gzip-compressed tarball by path.
func readTarball(tgz []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("read tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tarball: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxEntry {
			return nil, fmt.Errorf("read tarball: %s is %d bytes, more than the %d allowed", h.Name, h.Size, maxEntry)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("read tarball %s: %w", h.Name, err)
		}
		files[h.Name] = b
	}
	return files, nil
}

// decodeModule decodes the JSON literal of one data file into v, refusing keys v does not
// know: an unknown key means the package changed shape and its meaning must be checked.
func decodeModule(name string, src []byte, v any) error {
	m := moduleRE.FindSubmatch(src)
	if m == nil || string(m[1]) != string(m[3]) {
		return fmt.Errorf("%s: not of the form `var x = {...}; module.exports = x;`", name)
	}
	dec := json.NewDecoder(bytes.NewReader(m[2]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: text after the JSON value", name)
	}
	return nil
}

// srcField is a segment field or a data type component ("subfield") in the package.
type srcField struct {
	DataType string `json:"datatype"`
	Desc     string `json:"desc"`
	Opt      int    `json:"opt"`
	Rep      *int   `json:"rep"`
	Len      *int   `json:"len"`
	Table    *int   `json:"table"`
}

type srcSegment struct {
	Desc   string     `json:"desc"`
	Fields []srcField `json:"fields"`
}

type srcDataType struct {
	Desc      string     `json:"desc"`
	Subfields []srcField `json:"subfields"`
}

// srcNode is one element of a message: a segment, a group (children) or a choice (compounds).
// Name is a pointer because 2.7's CCM_I21 has choice alternatives whose name is null.
type srcNode struct {
	Name      *string   `json:"name"`
	Desc      string    `json:"desc"`
	Min       int       `json:"min"`
	Max       int       `json:"max"`
	Children  []srcNode `json:"children"`
	Compounds []srcNode `json:"compounds"`
}

type srcMessage struct {
	Desc     string `json:"desc"`
	Name     string `json:"name"`
	Segments struct {
		Desc     string    `json:"desc"`
		Segments []srcNode `json:"segments"`
	} `json:"segments"`
}

type srcTable struct {
	Desc   string     `json:"desc"`
	Values orderedMap `json:"values"`
}

// orderedMap is a JSON object of strings whose key order is kept, because the order of a
// table's codes is the order the package (and the standard) lists them in.
type orderedMap []keyValue

type keyValue struct{ Key, Value string }

// UnmarshalJSON reads an object of string values in order. A repeated key keeps its first
// position and its last value, as a JavaScript object literal does.
func (m *orderedMap) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("expected an object")
	}
	at := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // object keys are always strings
		var val string
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("value of %q: %w", key, err)
		}
		if i, ok := at[key]; ok {
			(*m)[i].Value = val
			continue
		}
		at[key] = len(*m)
		*m = append(*m, keyValue{key, val})
	}
	_, err = dec.Token() // the closing brace
	return err
}

// srcVersion is one version's three files.
type srcVersion struct {
	name      string
	dataTypes map[string]srcDataType
	segments  map[string]srcSegment
	messages  map[string]srcMessage
}

// source is the whole package.
type source struct {
	versions []srcVersion // oldest first
	tables   map[string]srcTable
}

// readSource decodes the package's data files. versions lists the versions to read, oldest
// first; each must be present.
func readSource(files map[string][]byte, versions []string) (*source, error) {
	get := func(name string) ([]byte, error) {
		b, ok := files["package/"+name]
		if !ok {
			return nil, fmt.Errorf("tarball has no package/%s", name)
		}
		return b, nil
	}
	src := &source{}
	for _, v := range versions {
		sv := srcVersion{name: v}
		for _, f := range []struct {
			file string
			dst  any
		}{
			{"fields.js", &sv.dataTypes},
			{"segments.js", &sv.segments},
			{"messages.js", &sv.messages},
		} {
			name := "lib/" + v + "/" + f.file
			b, err := get(name)
			if err != nil {
				return nil, err
			}
			if err := decodeModule(name, b, f.dst); err != nil {
				return nil, err
			}
		}
		src.versions = append(src.versions, sv)
	}
	b, err := get("lib/tables.js")
	if err != nil {
		return nil, err
	}
	if err := decodeModule("lib/tables.js", b, &src.tables); err != nil {
		return nil, err
	}
	return src, nil
}

// clean tidies a name or description from the package. Eight descriptions in 2.6 and 2.7
// carry UTF-8 punctuation that was once read as Windows-1251 and saved again as UTF-8
// ("Set ID вЂ“ PCE" for "Set ID – PCE"); reversing that step restores them. Spaces at the ends
// are dropped and runs of spaces inside become one.
func clean(s string) string {
	if !isASCII(s) {
		if b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s)); err == nil && utf8.Valid(b) && !isASCII(string(b)) {
			s = string(b)
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
