// Command server runs the shop backend for a Wix app.
//
// It reads its configuration from the environment (see .env.example),
// opens the store, and serves the API until SIGINT or SIGTERM. Then /readyz
// fails at once, the server goes on serving for SHUTDOWN_DELAY so that
// load balancers notice (a second signal cuts that short), and finally
// stops taking connections and finishes the requests in flight.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"example.com/shop/internal/api"
	"example.com/shop/internal/config"
	"example.com/shop/internal/cors"
	"example.com/shop/internal/ratelimit"
	"example.com/shop/internal/store"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
)

// Server timeouts: generous enough for a 1 MiB body on a slow link, short
// enough that idle or stalled clients cannot pin connections.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 15 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		stop()
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. It listens on ln when given (tests pass one), else on PORT.
func run(ctx context.Context, getenv func(string) string, logOut io.Writer, ln net.Listener) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logOut, cfg)

	st, err := store.Open(ctx, store.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	draining := make(chan struct{})
	handler, err := newHandler(cfg, st, log, draining)
	if err != nil {
		return err
	}

	if ln == nil {
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "config", cfg)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Unready, yet serving, until load balancers notice; keep-alive
	// connections close after their next answer.
	hurry, stopHurry := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopHurry()
	close(draining)
	srv.SetKeepAlivesEnabled(false)
	log.Info("shutting down: unready, still serving", "delay", cfg.ShutdownDelay)
	select {
	case <-time.After(cfg.ShutdownDelay):
	case <-hurry.Done():
	}
	log.Info("shutting down: draining requests", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Cut off what is still running, and cancel its contexts, before
		// the deferred close of the store.
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newHandler builds the API on the store from the configuration;
// draining is api.Deps.Draining.
func newHandler(cfg config.Config, st store.Store, log *slog.Logger, draining <-chan struct{}) (http.Handler, error) {
	wixClient, err := wix.New(wix.Config{
		BaseURL:   cfg.APIBase,
		AppID:     cfg.AppID,
		AppSecret: cfg.AppSecret,
		APIKey:    cfg.APIKey,
		SiteID:    cfg.SiteID,
		AccountID: cfg.AccountID,
		Logger:    log,
	})
	if err != nil {
		return nil, err
	}
	clients := ratelimit.Clients{TrustedProxies: cfg.TrustedProxies}
	auth, err := wixauth.New(wixauth.Config{
		AppID:                 cfg.AppID,
		Secret:                cfg.AppSecret,
		PreviousSecret:        cfg.PreviousSecret,
		MaxInstanceAge:        cfg.InstanceMaxAge,
		CheckInstancesWithWix: cfg.CheckInstancesWithWix,
		// Access tokens (and instances, with WIX_INSTANCE_CHECK=wix) are
		// checked with Wix's token-info endpoint through the same client: one
		// request, no retries.
		TokenInfo:     wixClient,
		AnyTokenShape: cfg.AnyTokenShape,
		Clients:       clients,
		Logger:        log,
	})
	if err != nil {
		return nil, err
	}
	return api.New(api.Deps{
		Logger:   log,
		Auth:     auth,
		CORS:     cors.Policy{AppID: cfg.AppID, Dev: cfg.Dev, Extra: cfg.CORSOrigins},
		Store:    st,
		Wix:      wixClient,
		Draining: draining,
	}), nil
}

// newLogger logs JSON lines for machines, or readable text in DEV mode.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Dev {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
