package config

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func itoa(i int) string { return strconv.Itoa(i) }

// logTo logs n with a JSON slog handler, as the engine does when it logs its configuration.
func logTo(w io.Writer, n *Node) {
	slog.New(slog.NewJSONHandler(w, nil)).Info("config", "config", n)
}
