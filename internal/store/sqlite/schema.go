package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema's ordered steps, NNNN_name.sql, embedded in the binary.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in order; their numbers must run 1, 2, 3... without
// gaps, which a test checks.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name is not NNNN_name.sql", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d", m.version, m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build writes: the number of its last migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the database on conn to the newest schema, in one transaction so that a
// failed step leaves the database at the version it had. It returns the version.
func migrate(ctx context.Context, conn *sql.Conn, now time.Time) (version int, err error) {
	return migrateTo(ctx, conn, now, 0)
}

// migrateTo is migrate, stopping at version upTo when it is not 0 (tests build databases of
// older versions with it).
func migrateTo(ctx context.Context, conn *sql.Conn, now time.Time, upTo int) (version int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if upTo > 0 {
		ms = ms[:upTo]
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, classify(err)
	}
	defer func() {
		if err != nil {
			// The error being returned says more than a failed rollback would.
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()

	var appID int64
	if err := conn.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return 0, err
	}
	var tables int
	if err := conn.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").Scan(&tables); err != nil {
		return 0, err
	}
	switch {
	case appID == 0 && tables == 0:
		// A new database.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return 0, err
		}
		if _, err := conn.ExecContext(ctx, `CREATE TABLE schema_version (
			version     INTEGER PRIMARY KEY,
			name        TEXT    NOT NULL,
			applied_at  INTEGER NOT NULL
		) STRICT`); err != nil {
			return 0, err
		}
	case appID != applicationID:
		return 0, fmt.Errorf("not a Courier store (application id %#x): point the store at another file", appID)
	}

	var current int
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	newest := len(ms)
	if current > newest {
		return 0, fmt.Errorf("database schema version %d is newer than this Courier supports (%d): run the Courier release that wrote it, or a newer one", current, newest)
	}
	for _, m := range ms[current:] {
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return 0, fmt.Errorf("migrate schema to %04d_%s: %w", m.version, m.name, classify(err))
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, now.UnixNano()); err != nil {
			return 0, fmt.Errorf("migrate schema to %04d_%s: %w", m.version, m.name, classify(err))
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, classify(err)
	}
	return newest, nil
}
