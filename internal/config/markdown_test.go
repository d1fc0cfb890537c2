package config

import (
	"strings"
	"testing"
)

func TestMarkdownDocGolden(t *testing.T) {
	reg := testRegistry(t)
	golden(t, "testdata/config.golden.md", []byte(MarkdownDoc(testRoot(), "")))
	for _, c := range []struct{ category, kind string }{{"source", "mllp"}, {"destination", "http"}} {
		s, ok := reg.Lookup(c.category, c.kind)
		if !ok {
			t.Fatalf("%s %s not registered", c.category, c.kind)
		}
		golden(t, "testdata/"+c.category+"-"+c.kind+".golden.md", []byte(MarkdownDoc(s, c.category)))
	}
}

// TestMarkdownDocEveryKey checks that the root page documents every key of the spec, nested
// ones included, as docs/config.md must.
func TestMarkdownDocEveryKey(t *testing.T) {
	doc := MarkdownDoc(testRoot(), "")
	for _, key := range []string{
		"server", "server.tls.key", "store.dsn", "channels[].destinations[].retry.backoff",
		"channels[].metadata", "channels[].steps", "channels[].source", "extensions",
	} {
		if !strings.Contains(doc, "### `"+key+"`") {
			t.Errorf("no section for %s", key)
		}
	}
	if i, j := strings.Index(doc, "## Advanced"), strings.Index(doc, "### `server.max_body`"); i < 0 || j < i {
		t.Error("the Advanced key server.max_body is not under ## Advanced")
	}
}
