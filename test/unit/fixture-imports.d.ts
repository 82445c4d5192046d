/** Store payload fixtures imported as their exact text (`?raw`), to be parsed as the routes parse bodies. */
declare module "*.json?raw" {
  const text: string;
  export default text;
}
