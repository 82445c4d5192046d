import { describe, expect, it } from "vitest";
import { postbackTemplateProblem } from "../../domain/relay/postback-template.ts";

describe("postbackTemplateProblem", () => {
  it("accepts absolute http(s) templates with known macros", () => {
    expect(postbackTemplateProblem("https://pb.example/c?click={click_id}&tx={transaction_id}")).toBeNull();
    expect(
      postbackTemplateProblem(
        "http://pb.example:8080/{event}/{capture_id}?p={payout}&c={currency}&s={sub1}{sub2}{sub3}{sub4}{sub5}",
      ),
    ).toBeNull();
    expect(postbackTemplateProblem("https://pb.example/static")).toBeNull();
  });

  it("names unknown macros", () => {
    expect(postbackTemplateProblem("https://pb.example/?e={email}&x={}")).toBe("Unknown macro {email}, {}.");
  });

  it("refuses macros in the host, other schemes, relative URLs and credentials", () => {
    expect(postbackTemplateProblem("https://{click_id}.pb.example/")).toBe(
      "The host may not contain a macro.",
    );
    expect(postbackTemplateProblem("ftp://pb.example/")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("javascript:alert(1)")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("/relative?c={click_id}")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("https://user:pw@pb.example/")).toBe("May not carry credentials.");
  });

  it("refuses unbalanced braces", () => {
    expect(postbackTemplateProblem("https://pb.example/?c={click_id")).toBe("Unbalanced braces.");
    expect(postbackTemplateProblem("https://pb.example/?c=click_id}")).toBe("Unbalanced braces.");
  });
});
