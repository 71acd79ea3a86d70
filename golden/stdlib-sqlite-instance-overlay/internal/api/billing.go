package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"example.com/shop/internal/billing"
	"example.com/shop/internal/httpjson"
	"example.com/shop/internal/wixauth"
)

// This file holds what the plan endpoints do, independent of the router:
// GET /api/plan, the RequirePlan check, and the example route behind it.

// planBody is the answer of GET /api/plan.
type planBody struct {
	// Plan is the package name of the site's paid plan; null on the free
	// plan.
	Plan       *string   `json:"plan"`
	IsFree     bool      `json:"isFree"`
	Cycle      string    `json:"cycle,omitempty"`
	AutoRenew  bool      `json:"autoRenew"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	UpgradeURL string    `json:"upgradeUrl"`
}

// plan returns the plan of the caller's site and where it upgrades.
func (s *service) plan(ctx context.Context, id wixauth.Identity) (planBody, error) {
	pl, err := s.plans.PlanFor(ctx, id)
	if err != nil {
		return planBody{}, s.internal(ctx, "read plan", err)
	}
	b := planBody{IsFree: pl.Name == "", Cycle: pl.Cycle, AutoRenew: pl.AutoRenew, ExpiresAt: pl.ExpiresAt,
		UpgradeURL: s.plans.UpgradeURL(id.InstanceID)}
	if !b.IsFree {
		b.Plan = &pl.Name
	}
	return b, nil
}

// requirePlan returns ctx with the plan of the caller's site when it is a
// paid plan, one of names when any are given; otherwise a 402 with the
// upgrade URL.
func (s *service) requirePlan(ctx context.Context, id wixauth.Identity, names []string) (context.Context, error) {
	pl, err := s.plans.PlanFor(ctx, id)
	if err != nil {
		return nil, s.internal(ctx, "read plan", err)
	}
	if pl.Name == "" || len(names) > 0 && !slices.Contains(names, pl.Name) {
		return nil, &apiError{Status: http.StatusPaymentRequired, Code: httpjson.CodePlanRequired,
			Message: "this needs a paid plan of the app; upgrade at upgradeUrl", UpgradeURL: s.plans.UpgradeURL(id.InstanceID)}
	}
	return billing.WithPlan(ctx, pl), nil
}

// premiumBody is the answer of GET /api/premium, an example of a route
// only paying sites reach: put yours behind RequirePlan the same way.
func premiumBody(ctx context.Context) map[string]string {
	pl, _ := billing.FromContext(ctx) // RequirePlan put it there
	return map[string]string{"plan": pl.Name, "message": "this site pays for " + pl.Name}
}
