package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
)

// These tests cover what only the PostgreSQL store has: connecting, the
// migration runner with its advisory lock, a failing migration and the
// conversion of text times, several replicas on one database, cancelling a
// statement that waits, a database that goes away and one that takes no
// writes. The behaviour every Store shares is in
// store_test.go. Tests that need a server use storetest, which skips them
// when TEST_DATABASE_URL is unset.

const appliedMsg = "store: migration applied"

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many log lines contain s.
func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func mustOpenPostgres(t *testing.T, dsn string, log *slog.Logger) *store.Postgres {
	t.Helper()
	p, err := store.Open(t.Context(), store.Config{DatabaseURL: dsn, Logger: log})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// appliedVersions returns the versions listed in schema_migrations.
func appliedVersions(t *testing.T, dsn string) []int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return versions
}

func TestOpenPostgresMigratesOnce(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)

	var logs syncBuffer
	first, err := store.Open(t.Context(), store.Config{DatabaseURL: dsn, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	want := migrationVersions(t)
	if got := logs.count(appliedMsg); got != len(want) {
		t.Errorf("first open applied %d migrations, want %d", got, len(want))
	}
	if _, err := first.PutSettings(t.Context(), "inst", json.RawMessage(`{"kept":true}`), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	logs = syncBuffer{}
	second := mustOpenPostgres(t, dsn, slog.New(slog.NewTextHandler(&logs, nil)))
	if got := logs.count(appliedMsg); got != 0 {
		t.Errorf("second open applied %d migrations, want 0", got)
	}
	if got := appliedVersions(t, dsn); !slices.Equal(got, want) {
		t.Errorf("schema_migrations lists versions %v, want %v", got, want)
	}
	got, err := second.Settings(t.Context(), "inst")
	if err != nil || string(got.Doc) != `{"kept":true}` {
		t.Errorf("settings after reopening: %s, %v", got.Doc, err)
	}
}

// TestOpenPostgresMigrationFails makes the first migration fail (a table it
// creates is already there): the open fails naming the migration, leaves
// neither its other tables nor its schema_migrations row behind, and once
// the obstacle is gone the next open applies it.
func TestOpenPostgresMigrationFails(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	tableExists := func(name string) bool {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var exists bool
		if err := conn.QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		return exists
	}

	exec(`CREATE TABLE settings (x int)`)
	p, err := store.Open(t.Context(), store.Config{DatabaseURL: dsn})
	if err == nil {
		p.Close()
		t.Fatal("Open succeeded although migration 0001 cannot apply")
	}
	if !strings.Contains(err.Error(), "0001_init.sql") {
		t.Errorf("error %q does not name the failing migration", err)
	}
	if tableExists("instances") {
		t.Error("table instances exists after its migration failed")
	}
	// schema_migrations is created in the failed migration's transaction.
	if tableExists("schema_migrations") {
		t.Errorf("schema_migrations exists after the first migration failed; it lists %v", appliedVersions(t, dsn))
	}

	exec(`DROP TABLE settings`)
	var logs syncBuffer
	mustOpenPostgres(t, dsn, slog.New(slog.NewTextHandler(&logs, nil)))
	if got, want := logs.count(appliedMsg), len(migrationVersions(t)); got != want {
		t.Errorf("open after the fix applied %d migrations, want %d", got, want)
	}
}

// TestOpenPostgresConcurrently starts several replicas at once on one new
// schema: every one of them opens the store, and each migration is applied
// exactly once, by one of them.
func TestOpenPostgresConcurrently(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	const replicas = 4
	var (
		logs  syncBuffer
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range replicas {
		wg.Go(func() {
			<-start
			p, err := store.Open(t.Context(), store.Config{DatabaseURL: dsn, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Errorf("replica %d: Open: %v", i, err)
				return
			}
			if err := p.Close(); err != nil {
				t.Errorf("replica %d: Close: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	want := migrationVersions(t)
	if got := logs.count(appliedMsg); got != len(want) {
		t.Errorf("%d replicas applied %d migrations in all, want %d", replicas, got, len(want))
	}
	if got := appliedVersions(t, dsn); !slices.Equal(got, want) {
		t.Errorf("schema_migrations lists versions %v, want %v", got, want)
	}
}

// TestPostgresReplicasShareData runs read-modify-write from two stores (two
// replicas, each with its own pool) on one database: no update is lost.
func TestPostgresReplicasShareData(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	replicas := []*store.Postgres{mustOpenPostgres(t, dsn, nil), mustOpenPostgres(t, dsn, nil)}
	ctx := t.Context()
	const (
		id         = "inst"
		increments = 25 // per replica
	)
	if _, err := replicas[0].PutSettings(ctx, id, json.RawMessage(`{"count":0}`), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, st := range replicas {
		wg.Go(func() {
			for n := 0; n < increments; {
				cur, err := st.Settings(ctx, id)
				if err != nil {
					t.Errorf("replica %d: Settings: %v", i, err)
					return
				}
				var doc struct {
					Count int `json:"count"`
				}
				if err := json.Unmarshal(cur.Doc, &doc); err != nil {
					t.Errorf("replica %d: %v", i, err)
					return
				}
				next := fmt.Appendf(nil, `{"count":%d}`, doc.Count+1)
				_, err = st.PutSettings(ctx, id, next, cur.Version, time.Time{})
				switch {
				case errors.Is(err, store.ErrConflict):
					continue // the other replica wrote first: read again
				case err != nil:
					t.Errorf("replica %d: PutSettings: %v", i, err)
					return
				}
				n++
			}
		})
	}
	wg.Wait()
	got, err := replicas[1].Settings(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"count":%d}`, 2*increments)
	if string(got.Doc) != want || got.Version != 2*increments+1 {
		t.Errorf("settings = version %d doc %s, want version %d doc %s", got.Version, got.Doc, 2*increments+1, want)
	}
}

// TestPostgresCancelWhileWaiting checks that a context ending while a
// statement waits in PostgreSQL (here for a row lock another transaction
// holds) stops the wait, and that the store stays usable afterwards.
func TestPostgresCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	st := mustOpenPostgres(t, dsn, nil)
	if _, err := st.PutSettings(t.Context(), "inst", json.RawMessage(`{"a":1}`), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM settings WHERE instance_id = 'inst' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}

	// The row stays locked until the rollback below, so PutSettings can
	// only return through its context, however slow the machine is.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err = st.PutSettings(ctx, "inst", json.RawMessage(`{"a":2}`), 0, time.Time{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PutSettings while the row is locked: err = %v, want context.DeadlineExceeded", err)
	}

	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := st.Settings(t.Context(), "inst")
	if err != nil {
		t.Fatalf("Settings after the cancelled write: %v", err)
	}
	if got.Version != 1 || string(got.Doc) != `{"a":1}` {
		t.Errorf("settings = version %d doc %s, want the cancelled write not applied", got.Version, got.Doc)
	}
}

// proxy forwards TCP connections to the database until it is cut, standing
// in for the network between the server and PostgreSQL.
type proxy struct {
	ln      net.Listener
	network string
	target  string

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, network, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, network: network, target: target}
	p.wg.Go(p.serve)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // cut
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

func (p *proxy) forward(client net.Conn) {
	server, err := net.DialTimeout(p.network, p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, server)
	p.mu.Unlock()
	go func() {
		io.Copy(server, client)
		server.Close()
	}()
	io.Copy(client, server)
	client.Close()
}

// cut stops accepting connections and closes the open ones.
func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// proxyTarget returns the network and address of the server dsn names.
func proxyTarget(t *testing.T, dsn string) (network, address string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(int(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") { // a Unix socket directory
		return "unix", filepath.Join(cfg.Host, ".s.PGSQL."+port)
	}
	return "tcp", net.JoinHostPort(cfg.Host, port)
}

// TestPostgresUnreachable checks that Ping, which /healthz calls, fails
// promptly once the database cannot be reached, and that the store's other
// methods report errors rather than hang or pretend data is missing.
func TestPostgresUnreachable(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	network, address := proxyTarget(t, dsn)
	p := startProxy(t, network, address)
	st := mustOpenPostgres(t, redirect(t, dsn, p.ln.Addr().String()), nil)
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping through the proxy: %v", err)
	}

	p.cut()
	// Ping must fail because the database is gone, not because this
	// deadline ran out; the deadline is long enough that, on any machine,
	// only a Ping that hangs reaches it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := st.Ping(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping with the database unreachable: err = %v, want a connection error before the deadline", err)
	}
	if _, err := st.Settings(ctx, "inst"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Settings with the database unreachable: err = %v, want a store error", err)
	}
}

// redirect returns dsn with its host and port replaced by addr.
func redirect(t *testing.T, dsn, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " host=" + host + " port=" + port
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal("TEST_DATABASE_URL is not a valid URL")
	}
	u.Host = addr
	return u.String()
}

func TestOpenPostgresRejects(t *testing.T) {
	t.Parallel()
	const password = "s3cret-db-password"
	tests := []struct {
		name string
		dsn  string
	}{
		{"empty", ""},
		{"blank", "  "},
		{"not a URL", "postgres://user:" + password + "@%zz/db"},
		{"unknown sslmode", "postgres://user:" + password + "@127.0.0.1:5432/db?sslmode=sometimes"},
		// Port 1 on the loopback interface refuses connections.
		{"nothing listening", "postgres://user:" + password + "@127.0.0.1:1/db?connect_timeout=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := store.Open(t.Context(), store.Config{DatabaseURL: tt.dsn})
			if err == nil {
				p.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestOpenPostgresCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p, err := store.Open(ctx, store.Config{DatabaseURL: "postgres://postgres@127.0.0.1:5432/postgres"})
	if !errors.Is(err, context.Canceled) {
		if err == nil {
			p.Close()
		}
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// migrationVersions returns the versions of the files in migrations/.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	var versions []int64
	for _, name := range names {
		prefix, _, _ := strings.Cut(filepath.Base(name), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return versions
}

// execSQL runs statements on a connection of its own to dsn.
func execSQL(t *testing.T, dsn string, statements ...string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range statements {
		if _, err := conn.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%.60s: %v", sql, err)
		}
	}
}

// TestPingFailsWhenWritesFail checks that Ping, which the health check
// calls, fails when the database answers queries but refuses writes (here
// a constraint no row meets, standing in for a full disk or a read-only
// standby).
func TestPingFailsWhenWritesFail(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	st := mustOpenPostgres(t, dsn, nil)
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	execSQL(t, dsn, `ALTER TABLE health_check ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID`)
	if _, err := st.Settings(t.Context(), "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Settings: err = %v, want ErrNotFound", err)
	}
	if err := st.Ping(t.Context()); err == nil {
		t.Error("Ping succeeded although the database takes no writes")
	}
}

// TestMigrateTimesToTimestamptz starts from a database that only migration
// 0001 has touched, with times stored as text, and checks that opening the
// store converts them to timestamptz without changing an instant or a
// document.
func TestMigrateTimesToTimestamptz(t *testing.T) {
	t.Parallel()
	dsn := storetest.DatabaseURL(t)
	initSQL, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, dsn,
		`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		string(initSQL),
		`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO instances VALUES
			('installed', '2025-03-04T04:06:07.123456000Z', 'premium', '2025-04-01T00:00:00.000000000Z', '0001-01-01T00:00:00.000000000Z'),
			('removed', '0001-01-01T00:00:00.000000000Z', '', '0001-01-01T00:00:00.000000000Z', '2025-05-01T05:00:00.000000000Z')`,
		`INSERT INTO settings VALUES ('installed', '{ "kept" : "<as is>" }', 3, '2025-06-01T00:00:00.250000000Z')`,
	)

	st := mustOpenPostgres(t, dsn, nil)
	got, err := st.Settings(t.Context(), "installed")
	wantUpdated := time.Date(2025, 6, 1, 0, 0, 0, 250_000_000, time.UTC)
	if err != nil || string(got.Doc) != `{ "kept" : "<as is>" }` || got.Version != 3 || !got.UpdatedAt.Equal(wantUpdated) {
		t.Errorf("Settings = %s v%d at %v, %v; want the document as written, v3 at %v", got.Doc, got.Version, got.UpdatedAt, err, wantUpdated)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var zero time.Time
	tests := []struct {
		id                                    string
		installedAt, planUpdatedAt, removedAt time.Time
	}{
		{"installed", time.Date(2025, 3, 4, 4, 6, 7, 123_456_000, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), zero},
		{"removed", zero, zero, time.Date(2025, 5, 1, 5, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		var installedAt, planUpdatedAt, removedAt time.Time
		err := conn.QueryRow(t.Context(), `SELECT installed_at, plan_updated_at, removed_at FROM instances WHERE id = $1`, tt.id).
			Scan(&installedAt, &planUpdatedAt, &removedAt)
		if err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		if !installedAt.Equal(tt.installedAt) || !planUpdatedAt.Equal(tt.planUpdatedAt) || !removedAt.Equal(tt.removedAt) {
			t.Errorf("%s: times %v, %v, %v; want %v, %v, %v", tt.id, installedAt, planUpdatedAt, removedAt, tt.installedAt, tt.planUpdatedAt, tt.removedAt)
		}
	}
	var types []string
	rows, err := conn.Query(t.Context(), `SELECT DISTINCT data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name IN ('installed_at', 'plan_updated_at', 'removed_at', 'updated_at', 'checked_at')`)
	if err == nil {
		types, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || !slices.Equal(types, []string{"timestamp with time zone"}) {
		t.Errorf("time columns have types %v, %v; want only timestamp with time zone", types, err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), store.Config{DatabaseURL: storetest.DatabaseURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
