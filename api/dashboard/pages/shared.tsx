import type { FC } from "hono/jsx";

/** Switches the tab to another of the brand's currencies (money is never summed across them). */
export const CurrencyPicker: FC<{
  tab: string;
  brandRef: string;
  currencies: string[];
  currency: string | null;
}> = (props) =>
  props.currencies.length > 1 ? (
    <form method="get" action={`/dashboard/${props.tab}`}>
      <input type="hidden" name="brand" value={props.brandRef} />
      <label for="currency-picker">Currency </label>
      <select id="currency-picker" name="currency">
        {props.currencies.map((currency) => (
          <option value={currency} selected={currency === props.currency}>
            {currency}
          </option>
        ))}
      </select>
      <button type="submit">Show</button>
    </form>
  ) : null;
