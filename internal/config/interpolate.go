package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// maxSecretFile bounds what ${file:...} reads: secrets and certificates are small, and the bound
// keeps a mistaken path (a log file, a disk image) from being read into memory.
const maxSecretFile = 1 << 20

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expansion is the result of interpolating one scalar.
type expansion struct {
	text       string
	changed    bool // ${...} or $${ occurred: the text is no longer what the file says
	sensitive  bool // part of it came from a file: treated as a secret
	unresolved bool // lenient mode met a ${...} and left it as written
}

// expand replaces ${NAME}, ${NAME:-default}, ${env:NAME}, ${file:PATH} and $${ in s. The
// caller attaches the position to an error.
func (d *decoder) expand(s string) (expansion, error) {
	if !strings.Contains(s, "${") {
		return expansion{text: s}, nil
	}
	var (
		b strings.Builder
		x expansion
	)
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		j += i
		b.WriteString(s[i:j])
		switch {
		case strings.HasPrefix(s[j:], "$${"):
			b.WriteString("${")
			x.changed = true
			i = j + 3
			continue
		case !strings.HasPrefix(s[j:], "${"):
			b.WriteByte('$')
			i = j + 1
			continue
		}
		end := strings.IndexByte(s[j+2:], '}')
		if end < 0 {
			return x, errors.New("unterminated `${` (close it with `}`, or write `$${` for a literal `${`)")
		}
		expr := s[j+2 : j+2+end]
		i = j + 2 + end + 1
		x.changed = true
		if d.lenient {
			x.unresolved = true
			b.WriteString(s[j:i])
			continue
		}
		val, sensitive, err := d.resolve(expr)
		if err != nil {
			return x, err
		}
		x.sensitive = x.sensitive || sensitive
		b.WriteString(val)
	}
	x.text = b.String()
	return x, nil
}

// resolve returns the value of one ${expr}.
func (d *decoder) resolve(expr string) (val string, sensitive bool, err error) {
	if path, ok := strings.CutPrefix(expr, "file:"); ok {
		v, err := d.readSecret(path)
		return v, true, err
	}
	expr, _ = strings.CutPrefix(expr, "env:")
	name, def, hasDef := strings.Cut(expr, ":-")
	if !envNameRE.MatchString(name) {
		return "", false, fmt.Errorf("invalid variable name %s in `${%s}` (use letters, digits and _, or write `$${` for a literal `${`)", quote(name), expr)
	}
	v, ok := d.env(name)
	switch {
	case ok && v != "":
		return v, false, nil
	case hasDef:
		return def, false, nil
	case ok:
		return "", false, nil
	}
	return "", false, fmt.Errorf("environment variable %s is not set (set it, or give a default: `${%s:-value}`)", name, name)
}

// readSecret reads a ${file:...} reference. Only regular files are read, so that a path to a
// FIFO or a device cannot block or exhaust the loader, and one final newline is dropped
// because that is how `echo secret > file` and most editors leave it.
func (d *decoder) readSecret(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("`${file:}` needs a path, like `${file:/run/secrets/db_password}`")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(d.dir, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("read secret file %s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("secret file %s is larger than %d bytes", path, maxSecretFile)
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	return s, nil
}
