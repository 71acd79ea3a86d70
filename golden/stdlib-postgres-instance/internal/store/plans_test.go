package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
)

// This file is the conformance suite for store.Billing: plans, site
// details, copied settings, handled events and the purge of removed sites.

// samePlan reports whether two plans hold the same data, comparing times as
// instants.
func samePlan(a, b store.Plan) bool {
	return a.Name == b.Name && a.Cycle == b.Cycle && a.AutoRenew == b.AutoRenew &&
		a.UpdatedAt.Equal(b.UpdatedAt) && a.ExpiresAt.Equal(b.ExpiresAt) && a.ExpiryUpdatedAt.Equal(b.ExpiryUpdatedAt)
}

// permutations returns every order of n items, as index lists.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var all [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			all = append(all, q)
		}
	}
	return all
}

// TestPlanInEveryOrder applies what the paid plan events of one site say,
// in every order and each twice, and checks that the plan comes out as the
// latest event of each part says: name, cycle and renewal from the latest
// event, the end of the period from the latest event that gives it.
func TestPlanInEveryOrder(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t1.Add(time.Duration(h) * time.Hour) }
	end1, end4 := at(24*30), at(24*365)
	purchased := store.Plan{Name: "premium", Cycle: "MONTHLY", AutoRenew: true, UpdatedAt: at(0), ExpiresAt: end1, ExpiryUpdatedAt: at(0)}
	cancelled := store.Plan{Name: "premium", Cycle: "MONTHLY", UpdatedAt: at(1)}                                        // no end given
	changed := store.Plan{Name: "business", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: at(2), ExpiryUpdatedAt: at(2)} // end not known
	reactivated := store.Plan{Name: "business", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: at(3), ExpiresAt: end4, ExpiryUpdatedAt: at(3)}
	transferred := store.Plan{Name: "business", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: at(4)} // no end given

	tests := []struct {
		name   string
		events []store.Plan
		want   store.Plan
	}{
		{"purchased", []store.Plan{purchased}, purchased},
		{"cancelled keeps the end of the period", []store.Plan{purchased, cancelled},
			store.Plan{Name: "premium", Cycle: "MONTHLY", UpdatedAt: at(1), ExpiresAt: end1, ExpiryUpdatedAt: at(0)}},
		{"changed forgets the end", []store.Plan{purchased, cancelled, changed},
			store.Plan{Name: "business", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: at(2), ExpiryUpdatedAt: at(2)}},
		{"reactivated, then transferred", []store.Plan{purchased, cancelled, changed, reactivated, transferred},
			store.Plan{Name: "business", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: at(4), ExpiresAt: end4, ExpiryUpdatedAt: at(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			ctx := t.Context()
			for n, order := range permutations(len(tt.events)) {
				id := fmt.Sprintf("inst-%d", n)
				for _, i := range append(order, order...) { // every event twice
					if err := st.SetPlan(ctx, id, tt.events[i]); err != nil {
						t.Fatalf("order %v: SetPlan: %v", order, err)
					}
				}
				if got, err := st.Plan(ctx, id); err != nil || !samePlan(got, tt.want) {
					t.Fatalf("order %v: Plan = %+v, %v; want %+v", order, got, err, tt.want)
				}
			}
		})
	}
}

// TestPlanAndRemovals: a plan is not the site's after a removal, whatever
// arrives late, and a plan after the removal is, without the end of the
// period an event before the removal gave.
func TestPlanAndRemovals(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const id = "inst"
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	removed := t1.Add(time.Hour)

	if _, err := st.Plan(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Plan of an unknown site: err = %v, want ErrNotFound", err)
	}
	mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: t1})
	paid := store.Plan{Name: "premium", Cycle: "YEARLY", AutoRenew: true, UpdatedAt: t1.Add(time.Minute),
		ExpiresAt: t1.AddDate(1, 0, 0), ExpiryUpdatedAt: t1.Add(time.Minute)}
	if err := st.SetPlan(ctx, id, paid); err != nil {
		t.Fatal(err)
	}
	mustDelete(t, st, id, removed)
	if got, err := st.Plan(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Plan after removal = %+v, %v; want ErrNotFound", got, err)
	}
	// A late event of the removed installation changes nothing.
	late := store.Plan{Name: "business", UpdatedAt: removed, ExpiresAt: t1.AddDate(2, 0, 0), ExpiryUpdatedAt: removed}
	if err := st.SetPlan(ctx, id, late); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Plan(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Plan after a late event = %+v, %v; want ErrNotFound", got, err)
	}
	// An event after the removal that does not give the end.
	cancelled := store.Plan{Name: "premium", Cycle: "YEARLY", UpdatedAt: removed.Add(time.Minute)}
	if err := st.SetPlan(ctx, id, cancelled); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Plan(ctx, id); err != nil || !samePlan(got, cancelled) {
		t.Fatalf("Plan after the removal = %+v, %v; want %+v, without the earlier end", got, err, cancelled)
	}
	if rec := mustInstance(t, st, id); rec.Plan != "premium" || !rec.PlanUpdatedAt.Equal(cancelled.UpdatedAt) {
		t.Errorf("Instance = %+v, want the plan of SetPlan", rec)
	}
}

func TestPlanValidation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	for name, p := range map[string]store.Plan{
		"zero time":                  {Name: "premium"},
		"year 0":                     {Name: "premium", UpdatedAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		"name with NUL":              {Name: "prem\x00ium", UpdatedAt: at},
		"cycle not UTF-8":            {Cycle: "MONTH\xffLY", UpdatedAt: at},
		"expiry said after the plan": {UpdatedAt: at, ExpiryUpdatedAt: at.Add(time.Second)},
		"expiry in year 10000":       {UpdatedAt: at, ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), ExpiryUpdatedAt: at},
	} {
		if err := st.SetPlan(t.Context(), "inst", p); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SetPlan(%s): err = %v, want ErrInvalid", name, err)
		}
	}
	if err := st.SetPlan(t.Context(), "", store.Plan{UpdatedAt: at}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SetPlan(empty ID): err = %v, want ErrInvalid", err)
	}
	if _, err := st.Plan(t.Context(), "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan after refused writes: err = %v, want ErrNotFound", err)
	}
}

func TestSite(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const id = "inst"
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	site := func(name string) json.RawMessage {
		return json.RawMessage(`{"site":{"siteDisplayName":"` + name + `"}}`)
	}
	wantSite := func(when, want string) {
		t.Helper()
		got, err := st.Site(ctx, id)
		switch {
		case want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: Site = %s, %v; want ErrNotFound", when, got, err)
		case want != "" && (err != nil || string(got) != string(site(want))):
			t.Errorf("%s: Site = %s, %v; want %s", when, got, err, site(want))
		}
	}

	if err := st.SetSite(ctx, id, site("unknown"), t1); err != nil {
		t.Fatal(err)
	}
	wantSite("unknown site", "")
	mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: t1})
	answers := []struct {
		name string
		at   time.Time
	}{
		{"first", t1.Add(time.Minute)},
		{"second", t1.Add(2 * time.Minute)},
		{"older", t1.Add(90 * time.Second)},
	}
	for _, a := range answers {
		if err := st.SetSite(ctx, id, site(a.name), a.at); err != nil {
			t.Fatal(err)
		}
	}
	wantSite("after three answers", "second")
	mustDelete(t, st, id, t1.Add(time.Hour))
	wantSite("after removal", "")
	mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: t1.Add(2 * time.Hour)})
	wantSite("after reinstall", "")
	if err := st.SetSite(ctx, id, site("again"), t1.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantSite("after the reinstall's answer", "again")
	if err := st.SetSite(ctx, id, json.RawMessage(`{"site":`), t1.Add(4*time.Hour)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SetSite(invalid JSON): err = %v, want ErrInvalid", err)
	}
}

func TestCopySettings(t *testing.T) {
	t.Parallel()
	// Kept after removal, so that a removed origin still has settings.
	st := storetest.Open(t, func(c *store.Config) { c.RemovedRetention = time.Hour })
	ctx := t.Context()
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	mustPut(t, st, "origin", `{ "theme": "dark" }`, 0)
	mustPut(t, st, "origin", `{ "theme": "light" }`, 0) // version 2
	mustPut(t, st, "taken", `{"mine":true}`, 0)
	mustPut(t, st, "gone", `{"theme":"red"}`, 0)
	mustSave(t, st, store.InstanceRecord{ID: "gone", InstalledAt: t1})
	mustDelete(t, st, "gone", t1.Add(time.Hour))
	mustDelete(t, st, "removed-copy", t1.Add(time.Hour))

	tests := []struct {
		from, to string
		want     bool
		wantDoc  string // the settings of to afterwards; "" for none
	}{
		{"origin", "copy", true, `{ "theme": "light" }`},
		{"origin", "copy", false, `{ "theme": "light" }`}, // again: nothing to do
		{"origin", "taken", false, `{"mine":true}`},
		{"nobody", "copy2", false, ""},
		{"gone", "copy3", false, ""},
		{"origin", "removed-copy", false, ""},
	}
	for _, tt := range tests {
		copied, err := st.CopySettings(ctx, tt.from, tt.to)
		if err != nil || copied != tt.want {
			t.Errorf("CopySettings(%s, %s) = %v, %v; want %v", tt.from, tt.to, copied, err, tt.want)
		}
		got, err := st.Settings(ctx, tt.to)
		switch {
		case tt.wantDoc == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("settings of %s: %s, %v; want none", tt.to, got.Doc, err)
		case tt.wantDoc != "" && (err != nil || string(got.Doc) != tt.wantDoc):
			t.Errorf("settings of %s: %s, %v; want %s", tt.to, got.Doc, err, tt.wantDoc)
		}
	}
	if got := mustSettings(t, st, "copy"); got.Version != 1 {
		t.Errorf("copied settings version = %d, want 1", got.Version)
	}
	if _, err := st.CopySettings(ctx, "origin", "bad\x00id"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CopySettings to a bad ID: err = %v, want ErrInvalid", err)
	}
}

func TestClaimEvent(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	claim := func(key string, at time.Time) bool {
		t.Helper()
		ok, err := st.ClaimEvent(ctx, key, at, at.Add(30*time.Second))
		if err != nil {
			t.Fatalf("ClaimEvent(%s): %v", key, err)
		}
		return ok
	}
	if !claim("a", now) {
		t.Fatal("first claim refused")
	}
	if claim("a", now.Add(29*time.Second)) {
		t.Error("a claim being handled was claimed again")
	}
	if !claim("b", now) {
		t.Error("another key was refused")
	}
	if !claim("a", now.Add(30*time.Second)) {
		t.Error("a lapsed claim was refused")
	}
	// Handled: remembered for days.
	if err := st.RememberEvent(ctx, "a", now.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if claim("a", now.Add(71*time.Hour)) {
		t.Error("an event handled was claimed again")
	}
	// Failed: forgotten at once.
	if err := st.RememberEvent(ctx, "b", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !claim("b", now.Add(time.Second)) {
		t.Error("a forgotten event was refused")
	}
	for _, key := range []string{"", strings.Repeat("k", 257), "k\x00"} {
		if _, err := st.ClaimEvent(ctx, key, now, now); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ClaimEvent(%q): err = %v, want ErrInvalid", key, err)
		}
	}
}

// TestRemovalWithoutRetention: by default a removal deletes the site's
// settings and details at once.
func TestRemovalWithoutRetention(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	mustSave(t, st, store.InstanceRecord{ID: "inst", InstalledAt: t1})
	mustPut(t, st, "inst", `{"k":1}`, 0)
	if err := st.SetSite(ctx, "inst", json.RawMessage(`{}`), t1); err != nil {
		t.Fatal(err)
	}
	mustDelete(t, st, "inst", t1.Add(time.Hour))
	mustSave(t, st, store.InstanceRecord{ID: "inst", InstalledAt: t1.Add(2 * time.Hour)})
	if _, err := st.Settings(ctx, "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("settings after removal and reinstall: err = %v, want ErrNotFound", err)
	}
	if _, err := st.Site(ctx, "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("site after removal and reinstall: err = %v, want ErrNotFound", err)
	}
}

// TestPurgeWithRetention keeps removed sites' data for 30 days, and runs
// the purge with a clock: a site is purged once its removal is older than
// that, unless it installed the app again, and handled events once their
// time is up.
func TestPurgeWithRetention(t *testing.T) {
	t.Parallel()
	const retention = 30 * 24 * time.Hour
	st := storetest.Open(t, func(c *store.Config) { c.RemovedRetention = retention })
	ctx := t.Context()
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

	sites := []struct {
		id        string
		removed   time.Time // zero: never
		reinstall time.Time // zero: never
	}{
		{id: "removed-day-1", removed: day(1)},
		{id: "removed-day-10", removed: day(10)},
		{id: "kept", removed: time.Time{}},
		{id: "came-back", removed: day(1), reinstall: day(5)},
	}
	for _, s := range sites {
		mustSave(t, st, store.InstanceRecord{ID: s.id, InstalledAt: t0})
		mustPut(t, st, s.id, `{"k":1}`, 0)
		if err := st.SetSite(ctx, s.id, json.RawMessage(`{"id":"`+s.id+`"}`), t0); err != nil {
			t.Fatal(err)
		}
		if !s.removed.IsZero() {
			mustDelete(t, st, s.id, s.removed)
		}
		if !s.reinstall.IsZero() {
			mustSave(t, st, store.InstanceRecord{ID: s.id, InstalledAt: s.reinstall})
		}
	}
	if ok, err := st.ClaimEvent(ctx, "event", t0, day(3)); err != nil || !ok {
		t.Fatalf("ClaimEvent = %v, %v", ok, err)
	}

	steps := []struct {
		now          time.Time
		wantPurged   int
		wantSettings []string // the sites whose settings remain
	}{
		{day(30), 0, []string{"removed-day-1", "removed-day-10", "kept", "came-back"}},
		{day(31), 1, []string{"removed-day-10", "kept", "came-back"}},
		{day(31), 0, []string{"removed-day-10", "kept", "came-back"}},
		{day(40), 1, []string{"kept", "came-back"}},
	}
	for _, step := range steps {
		n, err := st.Purge(ctx, step.now)
		if err != nil || n != step.wantPurged {
			t.Fatalf("Purge(%v) = %d, %v; want %d", step.now, n, err, step.wantPurged)
		}
		for _, s := range sites {
			_, err := st.Settings(ctx, s.id)
			want := slices.Contains(step.wantSettings, s.id)
			if want != (err == nil) {
				t.Errorf("after Purge(%v): settings of %s: err = %v, want kept %v", step.now, s.id, err, want)
			}
		}
	}
	if rm, _ := st.RemovedAt(ctx, "removed-day-1"); !rm.Equal(day(1)) {
		t.Errorf("RemovedAt after the purge = %v, want %v: credentials from before the removal are still refused", rm, day(1))
	}
	if _, err := st.Site(ctx, "came-back"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("details of the reinstalled site before its own answer: err = %v, want ErrNotFound", err)
	}
	// The event recorded until day 3 was purged: it can be claimed again
	// even at an earlier time.
	if ok, err := st.ClaimEvent(ctx, "event", day(1), day(2)); err != nil || !ok {
		t.Errorf("ClaimEvent after the purge = %v, %v; want true", ok, err)
	}
}

// TestBillingCancelledContext: every method returns the context's error.
func TestBillingCancelledContext(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	for name, call := range map[string]func() error{
		"Plan":          func() error { _, err := st.Plan(ctx, "inst"); return err },
		"SetPlan":       func() error { return st.SetPlan(ctx, "inst", store.Plan{Name: "p", UpdatedAt: at}) },
		"SetSite":       func() error { return st.SetSite(ctx, "inst", json.RawMessage(`{}`), at) },
		"Site":          func() error { _, err := st.Site(ctx, "inst"); return err },
		"CopySettings":  func() error { _, err := st.CopySettings(ctx, "a", "b"); return err },
		"ClaimEvent":    func() error { _, err := st.ClaimEvent(ctx, "k", at, at); return err },
		"RememberEvent": func() error { return st.RememberEvent(ctx, "k", at) },
		"Purge":         func() error { _, err := st.Purge(ctx, at); return err },
	} {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
}
