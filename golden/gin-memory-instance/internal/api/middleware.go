package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/shop/internal/cors"
)

// recoverPanics is gin's recovery middleware answering a panic in a
// handler with a logged JSON 500, so one bad request cannot take the
// server down. It logs through slog instead of gin's writer.
func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, v any) {
		log.ErrorContext(c.Request.Context(), "panic serving request",
			"method", c.Request.Method, "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		abortWithError(c, errInternal)
	})
}

// logRequests is gin middleware that logs one line per request: method,
// path (never the query, which may carry credentials), status and
// duration. Answers with status 500 and above are logged at Warn; the
// others at Debug, since load balancers and hosting platforms keep access
// logs of their own: set LOG_LEVEL=debug to see every request.
func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelDebug
		if status >= http.StatusInternalServerError {
			level = slog.LevelWarn
		}
		ctx := c.Request.Context()
		if !log.Enabled(ctx, level) {
			return
		}
		log.LogAttrs(ctx, level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)))
	}
}

// allowCORS is gin middleware applying the CORS policy p (see package
// cors): it adds the CORS headers for allowed origins and answers preflight
// requests itself, for every path, before any route or authentication.
func allowCORS(p cors.Policy) gin.HandlerFunc {
	apply := netHTTP(cors.Middleware(p))
	return func(c *gin.Context) {
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			// A preflight request: gin has already set Allow when the
			// path's routes take other methods than OPTIONS, and a
			// preflight answer does not carry it with the other routers.
			c.Writer.Header().Del("Allow")
		}
		apply(c)
	}
}

// limitBody is gin middleware that bounds every request body; reading
// past the limit fails with an *http.MaxBytesError, which handlers answer
// with 413.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// netHTTP runs the net/http middleware mw as gin middleware: the chain
// goes on, with the request mw passes on, when mw calls its next handler,
// and stops when mw answers itself. mw must write to the ResponseWriter it
// was given. Authentication and role checks are net/http middleware
// (wixauth), the same for every router.
func netHTTP(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		next := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			next = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !next {
			c.Abort()
		}
	}
}
