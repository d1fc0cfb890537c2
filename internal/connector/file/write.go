package file

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Policies for a file name that is already taken (the destination's `exists`).
const (
	existsOverwrite = "overwrite"
	existsFail      = "fail"
	existsSuffix    = "suffix"
)

// maxSuffix bounds the numbered names tried for one file (name-1.hl7 ... name-999.hl7).
const maxSuffix = 1000

// errNameTaken is returned with exists: fail when the file name is taken.
var errNameTaken = errors.New("a file with this name already exists")

// writeOpts are the permissions of what writeAtomic creates.
type writeOpts struct {
	fileMode, dirMode fs.FileMode
}

// writeAtomic writes a file named name in dir so that no reader ever sees it partly written:
// write fills a temporary file in the same folder (named .name.*.tmp, which the file source
// ignores), which is synced, given its mode, and then renamed or linked to its name, after
// which the folder is synced too. Missing folders are created (and synced into their parents).
// policy says what to do when name is taken; the name actually written is returned.
func writeAtomic(dir, name string, write func(io.Writer) error, o writeOpts, policy string) (string, error) {
	if err := mkdirAllSync(dir, o.dirMode); err != nil {
		return "", err
	}
	prefix := "." + name
	if len(prefix) > 100 {
		prefix = prefix[:100]
	}
	tmp, err := os.CreateTemp(dir, prefix+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	placed := false
	defer func() {
		if !placed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(bw); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(o.fileMode); err != nil && runtime.GOOS != "windows" {
		return "", fmt.Errorf("set file mode: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("sync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", tmpName, err)
	}
	final, err := place(tmpName, dir, name, policy)
	if err != nil {
		return "", err
	}
	placed = true
	if err := syncDir(dir); err != nil {
		return final, err
	}
	return final, nil
}

// place gives the temporary file tmp its name in dir, following policy.
func place(tmp, dir, name, policy string) (string, error) {
	if policy == existsOverwrite {
		dst := filepath.Join(dir, name)
		if err := os.Rename(tmp, dst); err != nil {
			return "", fmt.Errorf("rename into place: %w", err)
		}
		return dst, nil
	}
	tries := 1
	if policy == existsSuffix {
		tries = maxSuffix
	}
	dst, err := linkUnique(tmp, dir, name, tries, true)
	if errors.Is(err, fs.ErrExist) {
		if policy == existsFail {
			return "", fmt.Errorf("%s: %w (exists: fail); move it away or choose another exists policy", filepath.Join(dir, name), errNameTaken)
		}
		return "", fmt.Errorf("%s and %d numbered names after it are taken", filepath.Join(dir, name), maxSuffix-1)
	}
	return dst, err
}

// linkUnique gives src the first free name among name, name-1, name-2... (tries in all) in
// dir and removes src's old name: it hard-links (which fails rather than replacing a file
// that exists, so no check-then-act race) and falls back to a rename after a check where the
// file system has no hard links. It returns an error wrapping fs.ErrExist when every name is
// taken. With sameDir false the names may be on another file system, where it copies.
func linkUnique(src, dir, name string, tries int, sameDir bool) (string, error) {
	for i := range tries {
		dst := filepath.Join(dir, numbered(name, i))
		err := os.Link(src, dst)
		if err == nil {
			if err := os.Remove(src); err != nil {
				os.Remove(dst)
				return "", fmt.Errorf("remove %s after linking it: %w", src, err)
			}
			return dst, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// No hard links here (a FAT or SMB share, another file system): check, then rename.
		if _, serr := os.Lstat(dst); serr == nil {
			continue
		}
		err = os.Rename(src, dst)
		if err != nil && !sameDir && isCrossDevice(err) {
			err = copyFile(src, dst)
		}
		if err != nil {
			return "", fmt.Errorf("move %s to %s: %w", src, dst, err)
		}
		return dst, nil
	}
	return "", fmt.Errorf("%s: %w", filepath.Join(dir, name), fs.ErrExist)
}

// numbered returns name for i == 0, and name with -i before its extension otherwise:
// ADT.hl7, ADT-1.hl7, ADT-2.hl7.
func numbered(name string, i int) string {
	if i == 0 {
		return name
	}
	ext := filepath.Ext(name)
	if ext == name {
		ext = "" // .profile has no extension
	}
	return strings.TrimSuffix(name, ext) + "-" + strconv.Itoa(i) + ext
}

func isCrossDevice(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == syscall.EXDEV
}

// copyFile copies src to the new file dst (which must not exist), syncs it, keeps src's
// modification time, and removes src.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	_ = os.Chtimes(dst, info.ModTime(), info.ModTime())
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return os.Remove(src)
}

// mkdirAllSync creates dir and any missing parents with mode, and syncs the parent of each
// folder it creates, so that a synced file inside survives a power loss with its path.
func mkdirAllSync(dir string, mode fs.FileMode) error {
	info, err := os.Stat(dir)
	if err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s exists and is not a folder", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("create folder: %w", err)
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSync(parent, mode); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, mode); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create folder: %w", err)
	}
	if runtime.GOOS != "windows" {
		// Mkdir's mode is masked by the umask; the configured mode is what was asked for.
		if err := os.Chmod(dir, mode); err != nil {
			return fmt.Errorf("set folder mode: %w", err)
		}
	}
	return syncDir(parent)
}

// syncDir flushes a folder's entries (names created, renamed or removed in it) to disk.
// Windows cannot open a folder for syncing and makes renames durable on its own.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// Segment terminators a destination writes (its `segment_terminator`).
const (
	termCR   = "cr"
	termLF   = "lf"
	termCRLF = "crlf"
)

var termBytes = map[string][]byte{termCR: {'\r'}, termLF: {'\n'}, termCRLF: {'\r', '\n'}}

// toCR returns message bytes with every segment ending in CR, reading line ends as the hl7
// package does (TerminatorsAuto): in a message whose first line ends with CR or CR LF,
// segments end at CR or CR LF and a lone LF is text (NTE comments have them); in one whose
// first line ends with LF, they end at CR, LF or CR LF. A CR-terminated message comes back as it is
// (the same slice); a final CR is added when the last segment has none.
func toCR(b []byte) []byte {
	first := bytes.IndexAny(b, "\r\n")
	lfStyle := first >= 0 && b[first] == '\n'
	if !lfStyle && !bytes.Contains(b, []byte("\r\n")) {
		if len(b) > 0 && b[len(b)-1] != '\r' {
			return append(bytes.Clone(b), '\r')
		}
		return b
	}
	out := make([]byte, 0, len(b)+1)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\r':
			out = append(out, '\r')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case c == '\n' && lfStyle:
			out = append(out, '\r')
		default:
			out = append(out, c)
		}
	}
	if len(out) > 0 && out[len(out)-1] != '\r' {
		out = append(out, '\r')
	}
	return out
}

// termWriter writes CR-terminated segments with another terminator: every CR it is given
// becomes term. Its input comes from toCR, where a CR is always a terminator.
type termWriter struct {
	w    io.Writer
	term []byte
}

func (t termWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\r')
		if i < 0 {
			k, err := t.w.Write(p)
			return n + k, err
		}
		if _, err := t.w.Write(p[:i]); err != nil {
			return n, err
		}
		if _, err := t.w.Write(t.term); err != nil {
			return n + i, err
		}
		n += i + 1
		p = p[i+1:]
	}
	return n, nil
}

// terminated returns w, converting CRs to term unless term is CR.
func terminated(w io.Writer, term string) io.Writer {
	if term == termCR || term == "" {
		return w
	}
	return termWriter{w: w, term: termBytes[term]}
}
