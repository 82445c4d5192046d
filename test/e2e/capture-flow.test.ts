import { describe, expect, it } from "vitest";
import {
  api,
  e2e,
  expectedTarget,
  randomEmail,
  showWranglerLogOnFailure,
  submitForm,
  visit,
  waitForProcessed,
} from "./support.ts";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Contact {
  id: string;
  brands: { brand: string; state: string }[];
}

interface Relationship {
  brand: string;
  state: string;
}

describe(`capture rail through wrangler dev (${e2e.databaseKind})`, () => {
  it("redirects a form post at once, stores it as new, and routes the same email as known_active_same_brand", async () => {
    showWranglerLogOnFailure();
    const email = randomEmail("duplicate");

    const first = await submitForm(
      "acmeSummerAffnet",
      { email, first_name: "Ada" },
      { aff_click_id: "clk-e2e-1" },
    );
    expect(first.status).toBe(303);
    expect(first.captureId).toMatch(uuidV7);
    // The most specific rule (Acme, summer sale, AffNet, unknown) beats the brand-wide one.
    expect(first.location).toBe(
      expectedTarget("acmeSummerAffnetUnknown", { capture_id: first.captureId, click_id: "clk-e2e-1" }),
    );
    const stored = await waitForProcessed(first);
    expect(stored.outcome).toBe("new");

    const second = await submitForm("acmeSummerAffnet", { email, first_name: "Ada" });
    expect(second.status).toBe(303);
    expect(second.captureId).toMatch(uuidV7);
    expect(second.captureId).not.toBe(first.captureId);
    expect(second.location).toBe(
      expectedTarget("acmeKnownActiveSameBrand", { capture_id: second.captureId }),
    );
    expect((await waitForProcessed(second)).outcome).toBe("duplicate");
  });

  it("routes a visitor as known after an unsubscribe through the API, and stores the comeback as restored", async () => {
    showWranglerLogOnFailure();
    const email = randomEmail("comeback");

    const first = await submitForm("acmeSampleDirect", { email });
    expect(first.status).toBe(303);
    expect(first.location).toBe(expectedTarget("acmeUnknown", { capture_id: first.captureId }));
    expect((await waitForProcessed(first)).outcome).toBe("new");

    const acme = e2e.brandRefs["acme-skincare"];
    const contact = await api<Contact>("GET", `/api/v1/contacts?email=${encodeURIComponent(email)}`);
    expect(contact.brands.map(({ brand, state }) => ({ brand, state }))).toEqual([
      { brand: acme, state: "active" },
    ]);
    const unsubscribed = await api<Relationship>("POST", `/api/v1/contacts/${contact.id}/unsubscribe`, {
      brand: acme,
    });
    expect(unsubscribed.state).toBe("unsubscribed");

    // A GET with the email in the query string: known (the contact exists) but active nowhere.
    const back = await visit("acmeSampleDirect", { email });
    expect(back.status).toBe(302);
    expect(back.location).toBe(expectedTarget("acmeKnown", { capture_id: back.captureId }));
    expect((await waitForProcessed(back)).outcome).toBe("restored");
    const after = await api<Contact>("GET", `/api/v1/contacts?email=${encodeURIComponent(email)}`);
    expect(after.brands.map(({ brand, state }) => ({ brand, state }))).toEqual([
      { brand: acme, state: "restored" },
    ]);
  });
});
