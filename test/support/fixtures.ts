/** A phone browser's user agent: what most landing-page visitors send. */
export const iphoneSafari =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

/** `request.cf` as Cloudflare sends it for a visitor in Seoul on Korea Telecom (coordinates are strings). */
export const seoulCf = {
  country: "KR",
  region: "Seoul",
  regionCode: "11",
  city: "Seoul",
  postalCode: "04524",
  continent: "AS",
  latitude: "37.56610",
  longitude: "126.97840",
  timezone: "Asia/Seoul",
  asn: 4766,
  asOrganization: "Korea Telecom",
  colo: "ICN",
  botManagement: { score: 87, verifiedBot: false },
};
