import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** The origin the tests' requests are addressed to (and that the dashboard's forms post from). */
export const dashboardOrigin = "https://api.leadrail.test";

export interface PageAnswer {
  status: number;
  headers: Headers;
  html: string;
}

/** A request to the dashboard through the Worker's real `fetch`, redirects not followed. */
export async function dashboardRequest(
  method: "GET" | "POST",
  path: string,
  options: { cookie?: string; form?: Record<string, string>; origin?: string | null } = {},
): Promise<PageAnswer> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (method === "POST") {
    const origin = options.origin === undefined ? dashboardOrigin : options.origin;
    if (origin !== null) headers.origin = origin;
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form ?? {}).toString();
  }
  const response = await exports.default.fetch(
    new Request(`${dashboardOrigin}${path}`, { method, headers, body, redirect: "manual" }),
  );
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** Signs in with `key` and returns the Cookie header value of the session. */
export async function signIn(key: string): Promise<string> {
  const answer = await dashboardRequest("POST", "/dashboard/sign-in", { form: { key } });
  expect(answer.status, answer.html).toBe(303);
  const cookie = answer.headers.get("set-cookie") ?? "";
  const value = /^lr_dashboard=([^;]+);/.exec(cookie)?.[1];
  if (!value) throw new Error(`no session cookie: ${cookie}`);
  return `lr_dashboard=${value}`;
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
const text = (markup: string): string =>
  markup
    .replace(/<[^>]+>/g, "")
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => entities[name] ?? "")
    .trim();

/** The body rows of the table with this id, each as its cells' text; throws when there is no such table. */
export function tableRows(html: string, id: string): string[][] {
  const match = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html);
  if (!match?.[1]) throw new Error(`no table #${id}`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(match[1])?.[1] ?? "";
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? "").matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => text(cell[1] ?? "")),
  );
}

/** The text of the element with this id. */
export function textOf(html: string, id: string): string {
  const match = new RegExp(`<([a-z0-9]+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  if (!match) throw new Error(`no element #${id}`);
  return text(match[2] ?? "");
}
