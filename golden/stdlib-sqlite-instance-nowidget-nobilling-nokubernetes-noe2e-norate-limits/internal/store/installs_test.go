package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
)

// This file is the conformance suite for store.Installs, the installation
// records, and for the removal check of PutSettings; store_test.go has the
// rest of store.Store and the helpers both files share.

// sameRecord reports whether two records hold the same data, comparing
// times as instants.
func sameRecord(a, b store.InstanceRecord) bool {
	return a.ID == b.ID &&
		a.Plan == b.Plan &&
		a.InstalledAt.Equal(b.InstalledAt) &&
		a.PlanUpdatedAt.Equal(b.PlanUpdatedAt)
}

// setPlan records that instance id moved to plan at time at.
func setPlan(ctx context.Context, st store.Store, id, plan string, at time.Time) error {
	return st.SetPlan(ctx, id, plan, at)
}

func mustSave(t *testing.T, st store.Store, rec store.InstanceRecord) {
	t.Helper()
	if err := st.SaveInstance(t.Context(), rec); err != nil {
		t.Fatalf("SaveInstance(%q): %v", rec.ID, err)
	}
}

func mustInstance(t *testing.T, st store.Store, id string) store.InstanceRecord {
	t.Helper()
	rec, err := st.Instance(t.Context(), id)
	if err != nil {
		t.Fatalf("Instance(%q): %v", id, err)
	}
	return rec
}

func mustDelete(t *testing.T, st store.Store, id string, at time.Time) {
	t.Helper()
	if err := st.DeleteInstance(t.Context(), id, at); err != nil {
		t.Fatalf("DeleteInstance(%q, %v): %v", id, at, err)
	}
}

func TestInstanceLifecycle(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const id = "5f0f2a7e-1c1d-4e4e-9a9a-000000000001"
	// A non-UTC zone checks that times come back as the same instant, and
	// nanoseconds that they are kept to the microsecond.
	installed := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	purchased := time.Date(2025, 4, 1, 0, 0, 0, 1000, time.UTC)
	removed := time.Date(2025, 5, 1, 0, 0, 0, 0, time.FixedZone("EST", -5*3600))

	if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Instance before SaveInstance: err = %v, want ErrNotFound", err)
	}

	mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
	got := mustInstance(t, st, id)
	installed = installed.Truncate(time.Microsecond)
	want := store.InstanceRecord{ID: id, InstalledAt: installed}
	if !sameRecord(got, want) {
		t.Fatalf("after SaveInstance: got %+v, want %+v", got, want)
	}
	if got.InstalledAt.Location() != time.UTC || got.InstalledAt.Nanosecond() != 123456000 {
		t.Errorf("InstalledAt = %v, want UTC with microseconds .123456", got.InstalledAt)
	}

	if err := setPlan(ctx, st, id, "premium", purchased); err != nil {
		t.Fatalf("SetPlan: %v", err)
	}
	got = mustInstance(t, st, id)
	want = store.InstanceRecord{ID: id, InstalledAt: installed, Plan: "premium", PlanUpdatedAt: purchased}
	if !sameRecord(got, want) {
		t.Fatalf("after SetPlan: got %+v, want %+v", got, want)
	}

	mustDelete(t, st, id, removed)
	if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Instance after DeleteInstance: err = %v, want ErrNotFound", err)
	}
}

// lifecycleOp is one call in a TestLifecycleOrdering sequence.
type lifecycleOp struct {
	name string
	do   func(ctx context.Context, st store.Store, id string) error
}

func opInstall(at time.Time) lifecycleOp {
	return lifecycleOp{"install@" + at.Format(time.TimeOnly), func(ctx context.Context, st store.Store, id string) error {
		return st.SaveInstance(ctx, store.InstanceRecord{ID: id, InstalledAt: at})
	}}
}

func opRemove(at time.Time) lifecycleOp {
	return lifecycleOp{"remove@" + at.Format(time.TimeOnly), func(ctx context.Context, st store.Store, id string) error {
		return st.DeleteInstance(ctx, id, at)
	}}
}

func opPlan(plan string, at time.Time) lifecycleOp {
	return lifecycleOp{"plan " + plan + "@" + at.Format(time.TimeOnly), func(ctx context.Context, st store.Store, id string) error {
		return setPlan(ctx, st, id, plan, at)
	}}
}

// opSettings writes the instance's settings; it is not repeated when the
// events are delivered again.
var opSettings = lifecycleOp{"settings", func(ctx context.Context, st store.Store, id string) error {
	_, err := st.PutSettings(ctx, id, json.RawMessage(`{"k":1}`), 0, time.Time{})
	return err
}}

// TestLifecycleOrdering checks the rules that order installs, removals and
// plan changes of one instance by their times, whatever order they are
// delivered in (see store.Instances).
func TestLifecycleOrdering(t *testing.T) {
	t.Parallel()
	const id = "inst"
	// Whole seconds, as the webhook tokens' iat gives them.
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	t3 := t1.Add(2 * time.Hour)
	t4 := t1.Add(3 * time.Hour)
	mid := t1.Add(30 * time.Minute) // between t1 and t2

	rec := func(installed time.Time, plan string, planAt time.Time) *store.InstanceRecord {
		return &store.InstanceRecord{ID: id, InstalledAt: installed, Plan: plan, PlanUpdatedAt: planAt}
	}
	var zero time.Time

	tests := []struct {
		name         string
		ops          []lifecycleOp         // in delivery order
		want         *store.InstanceRecord // nil: Instance returns ErrNotFound
		wantSettings bool                  // the settings written by opSettings survive
	}{
		// DeleteInstance
		{
			name: "removal deletes record and settings",
			ops:  []lifecycleOp{opInstall(t1), opSettings, opRemove(t2)},
		},
		{
			name: "removal at the install time applies",
			ops:  []lifecycleOp{opInstall(t2), opSettings, opRemove(t2)},
		},
		{
			name:         "removal before the install time is stale",
			ops:          []lifecycleOp{opInstall(t3), opSettings, opRemove(t2)},
			want:         rec(t3, "", zero),
			wantSettings: true,
		},
		{
			name:         "stale removal after reinstall",
			ops:          []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3), opSettings, opRemove(t2)},
			want:         rec(t3, "", zero),
			wantSettings: true,
		},
		{
			name: "repeated removal",
			ops:  []lifecycleOp{opInstall(t1), opSettings, opRemove(t2), opRemove(t2)},
		},
		{
			name: "removal of an unknown instance deletes its settings",
			ops:  []lifecycleOp{opSettings, opRemove(t2)},
		},
		{
			name: "removal of a record known only from a plan event",
			ops:  []lifecycleOp{opPlan("premium", t1), opSettings, opRemove(t2)},
		},
		{
			name: "an older removal does not lower RemovedAt",
			ops:  []lifecycleOp{opRemove(t3), opRemove(t1), opInstall(t2)},
		},
		{
			name: "removal clears the plan of the removed installation",
			ops:  []lifecycleOp{opInstall(t1), opPlan("premium", mid), opRemove(t2), opInstall(t3)},
			want: rec(t3, "", zero),
		},
		{
			name: "removal keeps a plan change after it",
			ops:  []lifecycleOp{opInstall(t1), opPlan("business", t3), opSettings, opRemove(t2)},
			want: rec(zero, "business", t3),
		},

		// SaveInstance
		{
			name: "install",
			ops:  []lifecycleOp{opInstall(t1)},
			want: rec(t1, "", zero),
		},
		{
			name: "stale install after removal",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t1)},
		},
		{
			name: "install delivered after the removal of a later time",
			ops:  []lifecycleOp{opRemove(t2), opInstall(t1)},
		},
		{
			name: "install at the removal time is stale",
			ops:  []lifecycleOp{opRemove(t2), opInstall(t2)},
		},
		{
			name: "install after the removal reinstalls",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3)},
			want: rec(t3, "", zero),
		},
		{
			name: "stale install after reinstall keeps the new install time",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3), opInstall(t1)},
			want: rec(t3, "", zero),
		},
		{
			name: "latest install after the removal wins",
			ops:  []lifecycleOp{opRemove(t2), opInstall(t3), opInstall(t4)},
			want: rec(t4, "", zero),
		},
		{
			name: "latest install wins in either order",
			ops:  []lifecycleOp{opRemove(t2), opInstall(t4), opInstall(t3)},
			want: rec(t4, "", zero),
		},
		{
			name: "reinstall, install and removal delivered backwards",
			ops:  []lifecycleOp{opInstall(t3), opInstall(t1), opRemove(t2)},
			want: rec(t3, "", zero),
		},
		{
			name:         "settings written after the reinstall survive",
			ops:          []lifecycleOp{opRemove(t2), opInstall(t3), opSettings},
			want:         rec(t3, "", zero),
			wantSettings: true,
		},

		// SetPlan
		{
			name: "plan of a removed installation is ignored",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opPlan("premium", mid)},
		},
		{
			name: "plan at the removal time is ignored",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opPlan("premium", t2)},
		},
		{
			name: "plan after the removal recreates the record",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opPlan("business", t3)},
			want: rec(zero, "business", t3),
		},
		{
			name: "plan after the removal, then the reinstall",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opPlan("business", t4), opInstall(t1), opInstall(t3)},
			want: rec(t3, "business", t4),
		},
		{
			name: "plan of the removed installation after reinstall",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3), opPlan("premium", mid)},
			want: rec(t3, "", zero),
		},
		{
			name: "plan of the new installation after reinstall",
			ops:  []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3), opPlan("business", t4)},
			want: rec(t3, "business", t4),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			ctx := t.Context()

			check := func(when string) {
				t.Helper()
				got, err := st.Instance(ctx, id)
				switch {
				case tt.want == nil && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s: Instance = %+v, %v; want ErrNotFound", when, got, err)
				case tt.want != nil && err != nil:
					t.Errorf("%s: Instance: %v; want %+v", when, err, *tt.want)
				case tt.want != nil && !sameRecord(got, *tt.want):
					t.Errorf("%s: Instance = %+v, want %+v", when, got, *tt.want)
				}
				_, err = st.Settings(ctx, id)
				switch {
				case tt.wantSettings && err != nil:
					t.Errorf("%s: settings: %v, want them kept", when, err)
				case !tt.wantSettings && !errors.Is(err, store.ErrNotFound):
					t.Errorf("%s: settings: err = %v, want ErrNotFound", when, err)
				}
			}

			for _, op := range tt.ops {
				if err := op.do(ctx, st, id); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
			}
			check("after the events")

			// Delivering every event again changes nothing.
			for _, op := range tt.ops {
				if op.name == opSettings.name {
					continue
				}
				if err := op.do(ctx, st, id); err != nil {
					t.Fatalf("%s again: %v", op.name, err)
				}
			}
			check("after delivering the events again")
		})
	}
}

// TestSaveInstanceMerge checks how two installs of the same installation
// (no removal between them) merge.
func TestSaveInstanceMerge(t *testing.T) {
	t.Parallel()
	const id = "inst"
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)

	tests := []struct {
		name          string
		first, second store.InstanceRecord
		want          store.InstanceRecord
	}{
		{
			name:   "same record twice",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
		},
		{
			name:   "install event keeps existing plan",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
		},
		{
			name:   "later install time wins",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0},
			second: store.InstanceRecord{ID: id, InstalledAt: t2},
			want:   store.InstanceRecord{ID: id, InstalledAt: t2},
		},
		{
			name:   "earlier install time is ignored",
			first:  store.InstanceRecord{ID: id, InstalledAt: t2},
			second: store.InstanceRecord{ID: id, InstalledAt: t0},
			want:   store.InstanceRecord{ID: id, InstalledAt: t2},
		},
		{
			name:   "newer plan applies",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "basic", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
		},
		{
			name:   "older plan is ignored",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "basic", PlanUpdatedAt: t1},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			mustSave(t, st, tt.first)
			mustSave(t, st, tt.second)
			if got := mustInstance(t, st, id); !sameRecord(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			// Saving the second record again changes nothing.
			mustSave(t, st, tt.second)
			if got := mustInstance(t, st, id); !sameRecord(got, tt.want) {
				t.Errorf("after repeating the save: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSaveInstancePlanAfterRemoval checks that the plan fields of a saved
// record obey the removal rule too: a plan at or before the last removal is
// not taken, a later one is.
func TestSaveInstancePlanAfterRemoval(t *testing.T) {
	t.Parallel()
	const id = "inst"
	removed := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	installed := removed.Add(time.Hour)

	tests := []struct {
		name   string
		planAt time.Time
		want   store.InstanceRecord
	}{
		{
			name:   "plan before the removal",
			planAt: removed.Add(-time.Minute),
			want:   store.InstanceRecord{ID: id, InstalledAt: installed},
		},
		{
			name:   "plan at the removal",
			planAt: removed,
			want:   store.InstanceRecord{ID: id, InstalledAt: installed},
		},
		{
			name:   "plan after the removal",
			planAt: removed.Add(time.Minute),
			want:   store.InstanceRecord{ID: id, InstalledAt: installed, Plan: "premium", PlanUpdatedAt: removed.Add(time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			mustDelete(t, st, id, removed)
			mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed, Plan: "premium", PlanUpdatedAt: tt.planAt})
			if got := mustInstance(t, st, id); !sameRecord(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSetPlan(t *testing.T) {
	t.Parallel()
	const id = "inst"
	t1 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Microsecond)

	type event struct {
		plan string
		at   time.Time
	}
	tests := []struct {
		name     string
		events   []event // in delivery order
		wantPlan string
		wantAt   time.Time
	}{
		{
			name: "in order",
			events: []event{
				{plan: "basic", at: t1},
				{plan: "premium", at: t2},
			},
			wantPlan: "premium",
			wantAt:   t2,
		},
		{
			name: "older event arriving late is ignored",
			events: []event{
				{plan: "premium", at: t2},
				{plan: "basic", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t2,
		},
		{
			name: "repeated delivery",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "premium", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t1,
		},
		{
			name: "same time keeps the first",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "basic", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t1,
		},
		{
			name: "back to free",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "", at: t2},
			},
			wantPlan: "",
			wantAt:   t2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			installed := t1.Add(-time.Hour)
			mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
			for _, ev := range tt.events {
				if err := setPlan(t.Context(), st, id, ev.plan, ev.at); err != nil {
					t.Fatalf("SetPlan(%q, %v): %v", ev.plan, ev.at, err)
				}
			}
			want := store.InstanceRecord{ID: id, InstalledAt: installed, Plan: tt.wantPlan, PlanUpdatedAt: tt.wantAt}
			if got := mustInstance(t, st, id); !sameRecord(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestSetPlanCreatesRecord(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

	if err := setPlan(ctx, st, "new", "premium", at); err != nil {
		t.Fatalf("SetPlan: %v", err)
	}
	want := store.InstanceRecord{ID: "new", Plan: "premium", PlanUpdatedAt: at}
	if got := mustInstance(t, st, "new"); !sameRecord(got, want) || !got.InstalledAt.IsZero() {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// The install event arriving afterwards fills in the install time and
	// keeps the plan.
	installed := at.Add(-time.Minute)
	mustSave(t, st, store.InstanceRecord{ID: "new", InstalledAt: installed})
	want.InstalledAt = installed
	if got := mustInstance(t, st, "new"); !sameRecord(got, want) {
		t.Fatalf("after SaveInstance: got %+v, want %+v", got, want)
	}
}

func TestDeleteInstance(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	installed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	removed := installed.Add(24 * time.Hour)

	for _, id := range []string{"a", "b"} {
		mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
		if err := setPlan(ctx, st, id, "premium", installed.Add(time.Hour)); err != nil {
			t.Fatalf("SetPlan(%q): %v", id, err)
		}
		mustPut(t, st, id, `{"owner":"`+id+`"}`, 0)
	}
	mustPut(t, st, "settings-only", `{"x":1}`, 0)
	bRecord := mustInstance(t, st, "b")
	bSettings := mustSettings(t, st, "b")

	for _, id := range []string{"a", "settings-only"} {
		mustDelete(t, st, id, removed)
		if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Instance(%q) after delete: err = %v, want ErrNotFound", id, err)
		}
		if _, err := st.Settings(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Settings(%q) after delete: err = %v, want ErrNotFound", id, err)
		}
	}

	// Deleting again, or deleting what never existed, succeeds and leaves
	// nothing to find.
	for _, id := range []string{"a", "never-installed"} {
		if err := st.DeleteInstance(ctx, id, removed); err != nil {
			t.Errorf("DeleteInstance(%q) when absent: %v", id, err)
		}
		if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Instance(%q) after deleting again: err = %v, want ErrNotFound", id, err)
		}
	}

	if got := mustInstance(t, st, "b"); !sameRecord(got, bRecord) {
		t.Errorf("b's record changed: got %+v, want %+v", got, bRecord)
	}
	if got := mustSettings(t, st, "b"); !sameSettings(got, bSettings) {
		t.Errorf("b's settings changed: got %+v, want %+v", got, bSettings)
	}

	// A reinstalled instance starts from scratch.
	reinstalled := removed.Add(time.Hour)
	mustSave(t, st, store.InstanceRecord{ID: "a", InstalledAt: reinstalled})
	want := store.InstanceRecord{ID: "a", InstalledAt: reinstalled}
	if got := mustInstance(t, st, "a"); !sameRecord(got, want) {
		t.Errorf("a after reinstall: got %+v, want %+v", got, want)
	}
	if got := mustPut(t, st, "a", `{}`, 0); got.Version != 1 {
		t.Errorf("version after reinstall = %d, want 1", got.Version)
	}
}

func TestInstanceValidation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	year10000 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	year0 := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"SaveInstance empty ID", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{InstalledAt: at})
		}},
		{"SaveInstance zero InstalledAt", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", Plan: "premium", PlanUpdatedAt: at})
		}},
		{"SaveInstance year 10000", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", InstalledAt: year10000})
		}},
		{"Instance empty ID", func(ctx context.Context) error {
			_, err := st.Instance(ctx, "")
			return err
		}},
		{"SetPlan empty ID", func(ctx context.Context) error { return setPlan(ctx, st, "", "premium", at) }},
		{"SetPlan zero time", func(ctx context.Context) error { return setPlan(ctx, st, "inst", "premium", time.Time{}) }},
		{"DeleteInstance empty ID", func(ctx context.Context) error { return st.DeleteInstance(ctx, "", at) }},
		{"DeleteInstance zero time", func(ctx context.Context) error { return st.DeleteInstance(ctx, "inst", time.Time{}) }},
		{"DeleteInstance year 10000", func(ctx context.Context) error { return st.DeleteInstance(ctx, "inst", year10000) }},
		{"DeleteInstance year 0", func(ctx context.Context) error { return st.DeleteInstance(ctx, "inst", year0) }},
		{"SetPlan year 0", func(ctx context.Context) error { return setPlan(ctx, st, "inst", "premium", year0) }},
		{"SetPlan plan not UTF-8", func(ctx context.Context) error { return setPlan(ctx, st, "inst", "prem\xffium", at) }},
		{"SetPlan plan with NUL", func(ctx context.Context) error { return setPlan(ctx, st, "inst", "prem\x00ium", at) }},
		{"SaveInstance plan not UTF-8", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", InstalledAt: at, Plan: "\xed\xa0\x80", PlanUpdatedAt: at})
		}},
		{"SetPlan ID with NUL", func(ctx context.Context) error { return setPlan(ctx, st, "in\x00st", "premium", at) }},
		{"RemovedAt empty ID", func(ctx context.Context) error {
			_, err := st.RemovedAt(ctx, "")
			return err
		}},
		{"RemovedAt ID too long", func(ctx context.Context) error {
			_, err := st.RemovedAt(ctx, strings.Repeat("i", 300))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t.Context()); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}

	// Nothing was written by the rejected calls: an install now applies.
	if _, err := st.Instance(t.Context(), "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance after rejected writes: err = %v, want ErrNotFound", err)
	}
	mustSave(t, st, store.InstanceRecord{ID: "inst", InstalledAt: at})
	if got, want := mustInstance(t, st, "inst"), (store.InstanceRecord{ID: "inst", InstalledAt: at}); !sameRecord(got, want) {
		t.Errorf("Instance after a valid install = %+v, want %+v", got, want)
	}
}

// TestInstanceIsolation checks that no instance ID, however crafted, reaches
// another instance's record: each crafted ID is either rejected with
// ErrInvalid or behaves as a separate instance, and neither the record nor
// the settings of instance "b" are ever touched, not even by DeleteInstance.
func TestInstanceIsolation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	installed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	mustSave(t, st, store.InstanceRecord{ID: "b", InstalledAt: installed})
	if err := setPlan(ctx, st, "b", "premium", installed.Add(time.Hour)); err != nil {
		t.Fatalf("SetPlan(b): %v", err)
	}
	mustPut(t, st, "b", `{"owner":"b"}`, 0)
	bRecord := mustInstance(t, st, "b")
	bSettings := mustSettings(t, st, "b")

	for _, tt := range craftedIDs {
		t.Run(tt.name(), func(t *testing.T) {
			id := tt.id
			later := installed.Add(48 * time.Hour)

			tt.check(t, "SaveInstance", st.SaveInstance(ctx, store.InstanceRecord{ID: id, InstalledAt: later, Plan: "stolen", PlanUpdatedAt: later}))
			tt.check(t, "SetPlan", setPlan(ctx, st, id, "stolen", later.Add(time.Hour)))
			rec, err := st.Instance(ctx, id)
			tt.check(t, "Instance", err)
			if err == nil && (rec.ID != id || rec.Plan != "stolen") {
				t.Errorf("Instance(%q) = %+v, want its own record", id, rec)
			}
			_, err = st.PutSettings(ctx, id, json.RawMessage(`{"owner":"attacker"}`), 0, time.Time{})
			tt.check(t, "PutSettings", err)

			tt.check(t, "DeleteInstance", st.DeleteInstance(ctx, id, later.Add(2*time.Hour)))
			if !tt.wantInvalid {
				if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Instance after delete: err = %v, want ErrNotFound", err)
				}
				if _, err := st.Settings(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Settings after delete: err = %v, want ErrNotFound", err)
				}
			}

			if got := mustInstance(t, st, "b"); !sameRecord(got, bRecord) {
				t.Errorf("b's record changed: got %+v, want %+v", got, bRecord)
			}
			if got := mustSettings(t, st, "b"); !sameSettings(got, bSettings) {
				t.Errorf("b's settings changed: got %+v, want %+v", got, bSettings)
			}
		})
	}
}

func TestInstancesCancelledContext(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mustSave(t, st, store.InstanceRecord{ID: "inst", InstalledAt: at})
	mustPut(t, st, "inst", `{"a":1}`, 0)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name string
		call func() error
	}{
		{"SaveInstance", func() error { return st.SaveInstance(ctx, store.InstanceRecord{ID: "other", InstalledAt: at}) }},
		{"Instance", func() error {
			_, err := st.Instance(ctx, "inst")
			return err
		}},
		{"SetPlan", func() error { return setPlan(ctx, st, "inst", "premium", at.Add(time.Hour)) }},
		{"DeleteInstance", func() error { return st.DeleteInstance(ctx, "inst", at.Add(time.Hour)) }},
		{"RemovedAt", func() error {
			_, err := st.RemovedAt(ctx, "inst")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}

	// None of the cancelled writes happened.
	want := store.InstanceRecord{ID: "inst", InstalledAt: at}
	if got := mustInstance(t, st, "inst"); !sameRecord(got, want) {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	if got := mustSettings(t, st, "inst"); got.Version != 1 || string(got.Doc) != `{"a":1}` {
		t.Errorf("settings = version %d doc %s, want version 1 doc {\"a\":1}", got.Version, got.Doc)
	}
	if _, err := st.Instance(t.Context(), "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance(other): err = %v, want ErrNotFound", err)
	}
}

func TestInstancesAfterClose(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", InstalledAt: at}); err == nil {
		t.Error("SaveInstance after Close succeeded")
	}
	if err := setPlan(ctx, st, "inst", "premium", at); err == nil {
		t.Error("SetPlan after Close succeeded")
	}
	if _, err := st.Instance(ctx, "inst"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance after Close: err = %v, want a store error", err)
	}
	if err := st.DeleteInstance(ctx, "inst", at); err == nil {
		t.Error("DeleteInstance after Close succeeded")
	}
	if _, err := st.RemovedAt(ctx, "inst"); err == nil {
		t.Error("RemovedAt after Close succeeded")
	}
	// storetest closes the store again at cleanup; Close must allow that.
}

// TestRemovedAt checks the time RemovedAt reports: the latest removal
// recorded, kept after a reinstall, zero when there was none.
func TestRemovedAt(t *testing.T) {
	t.Parallel()
	const id = "inst"
	t1 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	t2, t3, t4 := t1.Add(time.Hour), t1.Add(2*time.Hour), t1.Add(3*time.Hour)

	tests := []struct {
		name string
		ops  []lifecycleOp
		want time.Time
	}{
		{name: "unknown instance"},
		{name: "installed", ops: []lifecycleOp{opInstall(t1)}},
		{name: "plan only", ops: []lifecycleOp{opPlan("premium", t1)}},
		{name: "removed", ops: []lifecycleOp{opInstall(t1), opRemove(t2)}, want: t2},
		{name: "removed before it was known", ops: []lifecycleOp{opRemove(t2)}, want: t2},
		{name: "reinstalled", ops: []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3)}, want: t2},
		{name: "an older removal arriving late", ops: []lifecycleOp{opRemove(t3), opRemove(t2)}, want: t3},
		{name: "removed twice", ops: []lifecycleOp{opInstall(t1), opRemove(t2), opInstall(t3), opRemove(t4)}, want: t4},
		// Credentials of the earlier installation are refused all the same.
		{name: "the removal of an earlier installation", ops: []lifecycleOp{opInstall(t3), opRemove(t2)}, want: t2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			for _, op := range tt.ops {
				if err := op.do(t.Context(), st, id); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
			}
			got, err := st.RemovedAt(t.Context(), id)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("RemovedAt = %v, %v; want %v", got, err, tt.want)
			}
			if err == nil && !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("RemovedAt location = %v, want UTC", got.Location())
			}
		})
	}
}

// TestPutSettingsAfterRemoval checks that a settings write made with a
// credential issued at or before the instance's latest removal is refused
// with ErrRemoved and writes nothing, with or without ifVersion, and that a
// credential issued after it (after a reinstall, say) writes again.
func TestPutSettingsAfterRemoval(t *testing.T) {
	t.Parallel()
	const id = "inst"
	installed := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	removed := installed.Add(time.Hour)
	reinstalled := installed.Add(2 * time.Hour)
	before, after := removed.Add(-time.Millisecond), removed.Add(time.Millisecond)

	tests := []struct {
		name      string
		ops       []lifecycleOp // before the write
		written   bool          // settings written, with a credential after the removal, before the write
		ifVersion int64
		issuedAt  time.Time
		wantErr   error
	}{
		{name: "never removed", ops: []lifecycleOp{opInstall(installed)}, issuedAt: before},
		{name: "issued before the removal", ops: []lifecycleOp{opInstall(installed), opRemove(removed)}, issuedAt: before, wantErr: store.ErrRemoved},
		{name: "issued at the removal", ops: []lifecycleOp{opInstall(installed), opRemove(removed)}, issuedAt: removed, wantErr: store.ErrRemoved},
		{name: "issued after the removal", ops: []lifecycleOp{opInstall(installed), opRemove(removed)}, issuedAt: after},
		{name: "removed before the install event arrived", ops: []lifecycleOp{opRemove(removed)}, issuedAt: before, wantErr: store.ErrRemoved},
		{name: "issue time not checked", ops: []lifecycleOp{opInstall(installed), opRemove(removed)}},
		{name: "old credential after a reinstall", ops: []lifecycleOp{opInstall(installed), opRemove(removed), opInstall(reinstalled)}, issuedAt: before, wantErr: store.ErrRemoved},
		{name: "new credential after a reinstall", ops: []lifecycleOp{opInstall(installed), opRemove(removed), opInstall(reinstalled)}, issuedAt: reinstalled},
		{name: "with ifVersion, issued before the removal", ops: []lifecycleOp{opRemove(removed)}, written: true, ifVersion: 1, issuedAt: before, wantErr: store.ErrRemoved},
		{name: "with ifVersion, issued after the removal", ops: []lifecycleOp{opRemove(removed)}, written: true, ifVersion: 1, issuedAt: after},
		{name: "with a stale ifVersion, issued after the removal", ops: []lifecycleOp{opRemove(removed)}, written: true, ifVersion: 7, issuedAt: after, wantErr: store.ErrConflict},
		{name: "with ifVersion, nothing written, issued before the removal", ops: []lifecycleOp{opRemove(removed)}, ifVersion: 1, issuedAt: before, wantErr: store.ErrRemoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			ctx := t.Context()
			for _, op := range tt.ops {
				if err := op.do(ctx, st, id); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
			}
			want, wantErr := store.Settings{}, store.ErrNotFound
			if tt.written {
				put, err := st.PutSettings(ctx, id, json.RawMessage(`{"v":"written"}`), 0, after)
				if err != nil {
					t.Fatalf("write after the removal: %v", err)
				}
				want, wantErr = put, nil
			}

			put, err := st.PutSettings(ctx, id, json.RawMessage(`{"v":"put"}`), tt.ifVersion, tt.issuedAt)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutSettings: err = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				want, wantErr = put, nil
			}
			got, err := st.Settings(ctx, id)
			if !errors.Is(err, wantErr) || (err == nil && !sameSettings(got, want)) {
				t.Errorf("Settings afterwards = %+v, %v; want %+v, %v", got, err, want, wantErr)
			}
		})
	}
}
