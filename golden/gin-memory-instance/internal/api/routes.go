package api

import (
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"example.com/shop/internal/wixauth"
)

// New returns the API's handler, a gin Engine:
//
//	GET  /healthz        liveness: 200 while the process serves
//	GET  /readyz         readiness: 503 when the store fails or the server stops
//	GET  /api/me         the caller's verified identity
//	GET  /api/settings   the caller's settings document
//	PUT  /api/settings   replace it (If-Match: "<version>" to avoid lost updates)
//	GET  /api/site       the caller's site, from Wix's Get App Instance API
//	GET  /api/widget/settings  the public member of the settings, for site widgets
//	GET  /api/plan       the plan of the caller's site, and where to upgrade it
//	GET  /api/premium    an example for paying sites only (RequirePlan)
//	POST /webhooks       Wix webhooks (a JWT signed by Wix)
//
// Every request goes through request logging, panic recovery, CORS and a
// body size limit, in that order; an /api route then spends its client's
// budget, authenticates the caller and checks their role (a Wix user of
// the site for the dashboard's routes, anyone on the site for a widget's);
// the dashboard's routes then spend the site's budget.
//
// Every error is JSON {"error": code, "message": text}, including 404 and
// 405; a body over MaxBodyBytes gets 413.
//
// Unless GIN_MODE says otherwise, New puts gin in release mode, which is
// process-wide: the server logs through slog, not gin's debug output.
func New(d Deps) http.Handler {
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix, draining: d.Draining, plans: d.Plans}}
	d.CORS.AnyOrigin = widgetPaths

	r := gin.New()
	// Answer a known path with the wrong method 405 (with Allow), do not
	// redirect /api/me/ to /api/me, and route by the path as sent, so that
	// /api/%6De is not /api/me: an unknown path is a 404, as with every
	// other router.
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.UseRawPath = true
	r.Use(logRequests(d.Logger), recoverPanics(d.Logger), allowCORS(d.CORS), limitBody(MaxBodyBytes))
	r.NoRoute(func(c *gin.Context) { abortWithError(c, notFound(c.Request.Method, c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) { abortWithError(c, methodNotAllowed(c.Request.Method, c.Request.URL.Path)) })

	// GET routes answer HEAD too, as net/http does.
	getHead := []string{http.MethodGet, http.MethodHead}
	r.Match(getHead, "/healthz", gin.WrapF(healthz))
	r.Match(getHead, "/readyz", gin.WrapF(h.svc.readyz))
	api := r.Group("/api", netHTTP(d.limitClients), netHTTP(d.Auth.Middleware), netHTTP(wixauth.RequireRole(wixauth.RoleUser)), netHTTP(d.limitInstances))
	api.Match(getHead, "/me", h.me)
	api.Match(getHead, "/settings", h.getSettings)
	api.PUT("/settings", h.putSettings)
	api.Match(getHead, "/site", h.site)
	api.Match(getHead, "/plan", h.plan)
	api.Match(getHead, "/premium", h.RequirePlan(), h.premium)
	widget := r.Group("/api/widget", netHTTP(d.limitClients), netHTTP(d.Auth.WidgetMiddleware), netHTTP(wixauth.RequireRole(widgetRoles...)))
	widget.Match(getHead, "/settings", h.widgetSettings)
	r.POST("/webhooks", gin.WrapH(d.Webhooks))
	return r
}
