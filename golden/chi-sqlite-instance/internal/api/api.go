// Package api serves the app's HTTP API: the endpoints the app's dashboard
// pages and site widgets call, the probes and the webhook endpoint.
//
// The API is the same whatever router serves it. routes.go, handlers.go and
// middleware.go are written for the router; what the endpoints do
// (service.go), what they send and accept (payloads.go) and the Wix
// checks (the wixauth, cors and webhooks packages) are shared.
package api

import (
	"log/slog"
	"net/http"

	"example.com/shop/internal/billing"
	"example.com/shop/internal/cors"
	"example.com/shop/internal/ratelimit"
	"example.com/shop/internal/store"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
)

// widgetPaths starts the path of every site widget route. Any origin may
// call them (cors.Policy.AnyOrigin): a widget runs on its site's domain.
const widgetPaths = "/api/widget/"

// widgetRoles may call site widget routes: anyone on the site, not the app.
var widgetRoles = []wixauth.Role{wixauth.RoleUser, wixauth.RoleMember, wixauth.RoleVisitor}

// Deps is what the API needs.
type Deps struct {
	// Logger receives every failure, and one line per request at Debug.
	Logger *slog.Logger
	// Auth authenticates every /api request.
	Auth *wixauth.Authenticator
	// CORS says which browser origins may call the API.
	CORS cors.Policy
	// Clients says which client sent a request (TRUSTED_PROXIES).
	Clients ratelimit.Clients
	// PerClient budgets each client's /api requests (RATE_LIMIT_CLIENT),
	// PerInstance each site's on the dashboard's routes
	// (RATE_LIMIT_INSTANCE); nil limits nothing. See limitClients.
	PerClient, PerInstance *ratelimit.Limiter
	// Store keeps each instance's data.
	Store store.Store
	// Wix calls the Wix REST API on behalf of an instance.
	Wix *wix.Client
	// Draining is closed when the server starts to shut down: /readyz
	// answers 503 from then on, so that load balancers stop sending
	// requests before the server stops taking them. Nil: never.
	Draining <-chan struct{}
	// Webhooks receives Wix webhooks at POST /webhooks.
	Webhooks http.Handler
	// Plans knows each site's plan.
	Plans *billing.Plans
}

// limitClients spends the budget of the request's client. Every /api route
// takes it, before authentication; the probes and /webhooks do not: the
// kubelet and load balancers probe from a few addresses, and a refused
// probe would take a busy but healthy server out of service or restart it;
// Wix sends every site's webhooks from a few addresses and sends again
// what it cannot deliver, so a refusal only delays events and adds load.
func (d Deps) limitClients(next http.Handler) http.Handler {
	return d.PerClient.Middleware(d.Clients.Key)(next)
}

// limitInstances spends the budget of the caller's site on the dashboard's
// routes (not on site widget routes, where all of a site's visitors
// would share it), after the role check: anyone can get a visitor's
// credential for any site, so a budget spent by refused callers would let
// them lock the site's users out.
func (d Deps) limitInstances(next http.Handler) http.Handler {
	return d.PerInstance.Middleware(func(r *http.Request) string {
		id, _ := wixauth.FromContext(r.Context())
		return id.InstanceID
	})(next)
}
