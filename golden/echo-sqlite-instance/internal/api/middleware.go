package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"example.com/shop/internal/wixauth"
)

// errorHandler is echo's central error handler: it answers every error a
// handler or middleware returns as the API's JSON error. An *apiError is
// answered as it is; echo's own errors for an unknown route (404), a wrong
// method (405, the router has set Allow) and a body over a limit (413, if
// middleware.BodyLimit is added) get the API's codes; anything else, a recovered panic included, is
// logged and answered 500.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if resp, uErr := echo.UnwrapResponse(c.Response()); uErr == nil && resp.Committed {
			// Answered already: by the handler, or by this function when
			// logRequests (HandleError) passed the error on first, before
			// echo passes it here again.
			return
		}
		r := c.Request()
		e, ok := errors.AsType[*apiError](err)
		if !ok {
			switch echo.StatusCode(err) {
			case http.StatusNotFound:
				e = notFound(r.Method, r.URL.Path)
			case http.StatusMethodNotAllowed:
				e = methodNotAllowed(r.Method, r.URL.Path)
			case http.StatusRequestEntityTooLarge:
				e = tooLarge(MaxBodyBytes)
			default:
				log.ErrorContext(r.Context(), "serving request", "method", r.Method, "path", r.URL.Path, "err", err)
				e = errInternal
			}
		}
		e.write(c.Response())
	}
}

// limitBody bounds every request body to MaxBodyBytes; reading past the
// limit fails with an *http.MaxBytesError, which handlers answer with 413.
func limitBody(next http.Handler) http.Handler {
	return http.MaxBytesHandler(next, MaxBodyBytes)
}

// methodNotAllowedHandler is the router's handler for a path whose routes
// take other methods. It returns echo.ErrMethodNotAllowed for errorHandler
// to answer, with the Allow header the other routers send: the route's
// methods, HEAD wherever GET is (AutoHandleHEAD), and not OPTIONS, which
// only CORS preflight requests use here and the CORS middleware answers
// before any route. A plain OPTIONS request is answered with it too.
func methodNotAllowedHandler(c *echo.Context) error {
	routeAllow, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
	var allow []string
	for m := range strings.SplitSeq(routeAllow, ",") {
		switch m = strings.TrimSpace(m); m {
		case "", http.MethodOptions, http.MethodHead:
		case http.MethodGet:
			allow = append(allow, http.MethodGet, http.MethodHead)
		default:
			allow = append(allow, m)
		}
	}
	c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
	return echo.ErrMethodNotAllowed
}

// logRequests is echo's request logger, logging one line per request:
// method, path (never the query, which may carry credentials), status and
// duration. Answers with status 500 and above are logged at Warn; the
// others at Debug, since load balancers and hosting platforms keep access
// logs of their own: set LOG_LEVEL=debug to see every request. It hands
// errors to errorHandler first, so that it logs the status sent.
func logRequests(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError: true,
		LogMethod:   true,
		LogURIPath:  true,
		LogStatus:   true,
		LogLatency:  true,
		LogValuesFunc: func(c *echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelDebug
			if v.Status >= http.StatusInternalServerError {
				level = slog.LevelWarn
			}
			ctx := c.Request().Context()
			if !log.Enabled(ctx, level) {
				return nil
			}
			log.LogAttrs(ctx, level, "request",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("duration", v.Latency))
			return nil
		},
	})
}

// authenticate is echo middleware that authenticates the request with a.
// On success it puts the caller's Identity in the request's context (see
// wixauth.FromContext); on failure a answers, as its net/http middleware
// does.
func authenticate(a *wixauth.Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			r := c.Request()
			id, err := a.Authenticate(r)
			if err != nil {
				a.WriteFailure(c.Response(), r, err)
				return nil
			}
			c.SetRequest(r.WithContext(wixauth.WithIdentity(r.Context(), id)))
			return next(c)
		}
	}
}
