// Package gen builds the data files of package dict from the npm package hl7-dictionary.
//
// The package is pinned by version and by its registry integrity (sha512); a tarball with
// other bytes is refused, so the generated files change only when this file changes. The
// output is deterministic: the same tarball gives the same bytes, which the dict tests check.
package gen

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/courier-hl7/courier/hl7/dict/internal/wire"
)

// The source: npm package, version and the registry's integrity string for its tarball.
const (
	Package   = "hl7-dictionary"
	Version   = "1.0.1"
	Integrity = "sha512-fS56mbNeZUqprk+WUSx7kpLXG3GDZV9PWryz5Qd4WtSarquQIOlIqhVB1gvLz/+TOjziwhodu0HTtzI4/Jjj3A=="
)

// Versions are the HL7 versions the package defines, oldest first.
var Versions = []string{"2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1"}

// TablesFile is the name of the file holding the tables, which the package does not version.
const TablesFile = "tables.dict.gz"

// VersionFile returns the name of the file holding version v.
func VersionFile(v string) string { return v + ".dict.gz" }

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// ErrIntegrity reports a tarball whose bytes are not the pinned package's.
var ErrIntegrity = errors.New("tarball does not match the pinned integrity")

// Verify checks tgz against Integrity.
func Verify(tgz []byte) error {
	sum := sha512.Sum512(tgz)
	got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if got != Integrity {
		return fmt.Errorf("%w: %s@%s should be %s, this one is %s", ErrIntegrity, Package, Version, Integrity, got)
	}
	return nil
}

// Fetch runs `npm pack` for the pinned package into dir and returns the tarball's path. It
// needs npm and the npm registry; the tarball is not verified here (Build does that).
func Fetch(ctx context.Context, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("fetch %s@%s: npm not found: %w", Package, Version, err)
	}
	cmd := exec.CommandContext(ctx, npm, "pack", "--json", "--pack-destination", dir, Package+"@"+Version)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("fetch %s@%s: npm pack: %w: %s", Package, Version, err, strings.TrimSpace(stderr.String()))
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &packed); err != nil || len(packed) != 1 || packed[0].Filename == "" {
		return "", fmt.Errorf("fetch %s@%s: unexpected npm pack output %q", Package, Version, stdout.String())
	}
	return filepath.Join(dir, filepath.Base(packed[0].Filename)), nil
}

// Build verifies tgz and returns the generated files, tables first, then the versions oldest
// first.
func Build(tgz []byte) ([]File, error) {
	if err := Verify(tgz); err != nil {
		return nil, err
	}
	files, err := readTarball(tgz)
	if err != nil {
		return nil, err
	}
	src, err := readSource(files, Versions)
	if err != nil {
		return nil, err
	}
	t354, ok := src.tables["354"]
	if !ok {
		return nil, errors.New("lib/tables.js has no table 354 (message structure)")
	}
	tables, err := buildTables(src.tables)
	if err != nil {
		return nil, err
	}
	data, err := wire.Compress(encodeTables(tables))
	if err != nil {
		return nil, err
	}
	if err := checkRepairsTargetVersions(Versions); err != nil {
		return nil, err
	}
	out := []File{{Name: TablesFile, Data: data}}
	for i, sv := range src.versions {
		if i > 0 {
			restoreVaries(&sv, src.versions[i-1])
		}
		if err := repairVersion(&sv, fieldRepairs, elementRepairs); err != nil {
			return nil, err
		}
		v, err := buildVersion(sv, t354.Values)
		if err != nil {
			return nil, err
		}
		data, err := wire.Compress(encodeVersion(v))
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: VersionFile(v.name), Data: data})
	}
	return out, nil
}

// Write writes files into dir and removes any other *.dict.gz there, so a version the
// source drops does not linger.
func Write(dir string, files []File) error {
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("write generated file: %w", err)
		}
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.dict.gz"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove stale generated file: %w", err)
			}
		}
	}
	return nil
}

// encodeVersion writes one version. The layout, which package dict reads, is in docs/dict.md.
func encodeVersion(v *outVersion) []byte {
	w := wire.NewWriter()
	w.String("version")
	w.String(v.name)
	w.Uint(len(v.dataTypes))
	for _, dt := range v.dataTypes {
		w.String(dt.name)
		w.String(dt.desc)
		w.Uint(len(dt.comps))
		for _, c := range dt.comps {
			w.String(c.name)
			w.String(c.dataType)
			w.String(c.usage)
			w.Uint(c.maxLen)
			w.String(c.table)
		}
	}
	w.Uint(len(v.segments))
	for _, s := range v.segments {
		w.String(s.name)
		w.String(s.desc)
		w.Uint(len(s.fields))
		for _, f := range s.fields {
			w.String(f.name)
			w.String(f.dataType)
			w.String(f.usage)
			w.Uint(f.minReps)
			w.Uint(f.maxReps)
			w.Uint(f.maxLen)
			w.String(f.table)
		}
	}
	w.Uint(len(v.structures))
	for _, s := range v.structures {
		w.String(s.name)
		w.String(s.desc)
		encodeElements(w, s.elems)
	}
	w.Uint(len(v.events))
	for _, e := range v.events {
		w.String(e.msgType)
		w.String(e.trigger)
		w.String(e.structure)
	}
	return w.Bytes()
}

func encodeElements(w *wire.Writer, elems []outElem) {
	w.Uint(len(elems))
	for _, e := range elems {
		w.Uint(e.kind)
		w.String(e.name)
		w.String(e.desc)
		w.Uint(e.min)
		w.Uint(e.max)
		if e.kind != kindSegment {
			encodeElements(w, e.elems)
		}
	}
}

func encodeTables(tables []outTable) []byte {
	w := wire.NewWriter()
	w.String("tables")
	w.Uint(len(tables))
	for _, t := range tables {
		w.String(t.id)
		w.String(t.name)
		w.Uint(len(t.codes))
		for _, c := range t.codes {
			w.String(c.Key)
			w.String(c.Value)
		}
	}
	return w.Bytes()
}
