import type { FC } from "hono/jsx";
import { Page } from "../components.tsx";

/** The sign-in form: an API key, checked as the API checks it. */
export const SignIn: FC<{ error?: string }> = ({ error }) => (
  <Page title="Sign in" tab={null}>
    <section>
      <h2>Sign in</h2>
      <p class="note">
        With an API key (<code>lr_…</code>): the dashboard shows the brands that key may see. The key is not
        kept; the session lasts 12 hours and ends as soon as the key is revoked.
      </p>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <form method="post" action="/dashboard/sign-in">
        <label for="key">API key</label>{" "}
        <input id="key" name="key" type="password" autocomplete="off" required size={40} />{" "}
        <button type="submit">Sign in</button>
      </form>
    </section>
  </Page>
);
