// Package api serves the app's HTTP API: the endpoints the app's dashboard
// pages call, the probes and the webhook endpoint.
//
// The API is the same whatever router serves it. routes.go, handlers.go and
// middleware.go are written for the router; what the endpoints do
// (service.go), what they send and accept (payloads.go) and the Wix
// checks (the wixauth, cors and webhooks packages) are shared.
package api

import (
	"log/slog"
	"net/http"

	"example.com/shop/internal/cors"
	"example.com/shop/internal/store"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
)

// Deps is what the API needs.
type Deps struct {
	// Logger receives every failure, and one line per request at Debug.
	Logger *slog.Logger
	// Auth authenticates every /api request.
	Auth *wixauth.Authenticator
	// CORS says which browser origins may call the API.
	CORS cors.Policy
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
}
