package dict

import (
	"fmt"
	"strconv"

	"github.com/courier-hl7/courier/hl7/dict/internal/wire"
)

// Element kinds in the files, as the generator writes them.
const (
	kindSegment = 0
	kindGroup   = 1
	kindChoice  = 2
)

// maxDepth bounds group nesting while decoding; the deepest structure in the source nests 6
// levels, and the bound keeps a damaged file from recursing without end.
const maxDepth = 32

// decodeVersion decodes one version file. The layout is in docs/dict.md.
func decodeVersion(file []byte) (*Version, error) {
	r, err := wire.NewReader(file)
	if err != nil {
		return nil, err
	}
	if kind := r.String(); kind != "version" {
		return nil, fmt.Errorf("%w: a %q file, not a version", wire.ErrFormat, kind)
	}
	v := &Version{Name: r.String()}

	dataTypes := make([]DataType, r.Count())
	v.dataTypes = make(map[string]*DataType, len(dataTypes))
	for i := range dataTypes {
		dt := &dataTypes[i]
		dt.Name, dt.Description = r.String(), r.String()
		if n := r.Count(); n > 0 {
			dt.Components = make([]Component, n)
		}
		for j := range dt.Components {
			dt.Components[j] = Component{
				Seq:      j + 1,
				Name:     r.String(),
				DataType: r.String(),
				Usage:    r.String(),
				MaxLen:   r.Uint(),
				Table:    r.String(),
			}
		}
		v.dataTypes[dt.Name] = dt
	}

	segments := make([]Segment, r.Count())
	v.segments = make(map[string]*Segment, len(segments))
	for i := range segments {
		s := &segments[i]
		s.Name, s.Description = r.String(), r.String()
		s.Fields = make([]Field, r.Count())
		for j := range s.Fields {
			s.Fields[j] = Field{
				Seq:      j + 1,
				Name:     r.String(),
				DataType: r.String(),
				Usage:    r.String(),
				MinReps:  r.Uint(),
				MaxReps:  r.Uint(),
				MaxLen:   r.Uint(),
				Table:    r.String(),
			}
		}
		v.segments[s.Name] = s
	}

	structures := make([]Structure, r.Count())
	v.structures = make(map[string]*Structure, len(structures))
	for i := range structures {
		s := &structures[i]
		s.Name, s.Description = r.String(), r.String()
		elems, err := decodeElements(r, 0)
		if err != nil {
			return nil, fmt.Errorf("structure %s: %w", s.Name, err)
		}
		s.Elements = elems
		v.structures[s.Name] = s
	}

	n := r.Count()
	v.events = make(map[string]*Structure, n)
	for range n {
		msgType, trigger, name := r.String(), r.String(), r.String()
		s, ok := v.structures[name]
		if !ok && r.Err() == nil {
			return nil, fmt.Errorf("%w: event %s^%s names structure %s, which is not defined", wire.ErrFormat, msgType, trigger, name)
		}
		v.events[msgType+"^"+trigger] = s
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeElements(r *wire.Reader, depth int) ([]Element, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: groups nested deeper than %d", wire.ErrFormat, maxDepth)
	}
	elems := make([]Element, r.Count())
	for i := range elems {
		e := &elems[i]
		kind, name := r.Uint(), r.String()
		e.Description, e.Min, e.Max = r.String(), r.Uint(), r.Uint()
		switch kind {
		case kindSegment:
			e.Segment = name
		case kindGroup, kindChoice:
			kids, err := decodeElements(r, depth+1)
			if err != nil {
				return nil, err
			}
			if kind == kindGroup {
				e.Group = &Group{Name: name, Elements: kids}
			} else {
				e.Choice = kids
			}
		default:
			return nil, fmt.Errorf("%w: element kind %d", wire.ErrFormat, kind)
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
	}
	return elems, nil
}

// decodeTables decodes the tables file, keyed by table number.
func decodeTables(file []byte) (map[int]*Table, error) {
	r, err := wire.NewReader(file)
	if err != nil {
		return nil, err
	}
	if kind := r.String(); kind != "tables" {
		return nil, fmt.Errorf("%w: a %q file, not the tables", wire.ErrFormat, kind)
	}
	tables := make([]Table, r.Count())
	out := make(map[int]*Table, len(tables))
	for i := range tables {
		t := &tables[i]
		t.ID, t.Name = r.String(), r.String()
		t.Codes = make([]Code, r.Count())
		t.index = make(map[string]int, len(t.Codes))
		for j := range t.Codes {
			t.Codes[j] = Code{Value: r.String(), Description: r.String()}
			t.index[t.Codes[j].Value] = j
		}
		n, err := strconv.Atoi(t.ID)
		if err != nil && r.Err() == nil {
			return nil, fmt.Errorf("%w: table id %q", wire.ErrFormat, t.ID)
		}
		out[n] = t
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return out, nil
}
