/**
 * Reference data of the history seed (scripts/lib/history-seed.ts): names, places, email providers,
 * payment methods, catalogs, influencers and the weights that make the data look like a shop's. Every
 * email domain is under `.example` (RFC 2606) and US phone numbers use the 555 exchange, so nothing
 * seeded can reach a real person.
 */

/** A value and its relative weight in a pick list. */
export type Weighted<T> = readonly [value: T, weight: number];

/** Korean surnames (Hangul, romanised for email) by their approximate share of the population. */
export const koreanLastNames: readonly Weighted<readonly [string, string]>[] = [
  [["김", "kim"], 21.5],
  [["이", "lee"], 14.7],
  [["박", "park"], 8.4],
  [["최", "choi"], 4.7],
  [["정", "jung"], 4.3],
  [["강", "kang"], 2.4],
  [["조", "cho"], 2.1],
  [["윤", "yoon"], 2.1],
  [["장", "jang"], 2.0],
  [["임", "lim"], 1.7],
  [["한", "han"], 1.5],
  [["오", "oh"], 1.5],
  [["서", "seo"], 1.5],
  [["신", "shin"], 1.4],
  [["권", "kwon"], 1.4],
  [["황", "hwang"], 1.4],
  [["안", "ahn"], 1.3],
  [["송", "song"], 1.3],
  [["류", "ryu"], 1.2],
  [["홍", "hong"], 1.1],
];

export const koreanFirstNames: readonly Weighted<readonly [string, string]>[] = [
  [["민준", "minjun"], 3],
  [["서준", "seojun"], 3],
  [["도윤", "doyun"], 2],
  [["예준", "yejun"], 2],
  [["시우", "siwoo"], 2],
  [["하준", "hajun"], 2],
  [["지호", "jiho"], 2],
  [["주원", "juwon"], 2],
  [["준서", "junseo"], 2],
  [["현우", "hyunwoo"], 2],
  [["동현", "donghyun"], 1],
  [["성민", "sungmin"], 1],
  [["정훈", "junghoon"], 1],
  [["서연", "seoyeon"], 3],
  [["서윤", "seoyun"], 3],
  [["지우", "jiwoo"], 3],
  [["서현", "seohyun"], 2],
  [["민서", "minseo"], 2],
  [["하은", "haeun"], 2],
  [["하윤", "hayun"], 2],
  [["윤서", "yunseo"], 2],
  [["지민", "jimin"], 2],
  [["채원", "chaewon"], 2],
  [["수아", "sua"], 2],
  [["지아", "jia"], 2],
  [["예은", "yeeun"], 1],
  [["수빈", "subin"], 2],
  [["유진", "yujin"], 2],
  [["은지", "eunji"], 2],
  [["혜진", "hyejin"], 2],
  [["미영", "miyoung"], 1],
  [["영희", "younghee"], 1],
];

export const englishFirstNames: readonly Weighted<readonly [string, string]>[] =
  "James Mary Michael Patricia Robert Jennifer John Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Emily Matthew Ashley Anthony Olivia Mark Emma Steven Sophia Andrew Ava Joshua Mia Kevin Isabella Brian Abigail Ryan Madison"
    .split(" ")
    .map((name, index) => [[name, name.toLowerCase()], index < 10 ? 3 : index < 24 ? 2 : 1] as const);

export const englishLastNames: readonly Weighted<readonly [string, string]>[] =
  "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores"
    .split(" ")
    .map((name, index) => [[name, name.toLowerCase()], index < 6 ? 3 : index < 20 ? 2 : 1] as const);

/** Mailbox providers, as `.example` look-alikes so no address is deliverable. */
export const koreanEmailDomains: readonly Weighted<string>[] = [
  ["naver.example", 42],
  ["gmail.example", 28],
  ["daum.example", 12],
  ["kakao.example", 9],
  ["nate.example", 5],
  ["hanmail.example", 4],
];

export const englishEmailDomains: readonly Weighted<string>[] = [
  ["gmail.example", 45],
  ["yahoo.example", 14],
  ["outlook.example", 14],
  ["icloud.example", 13],
  ["hotmail.example", 8],
  ["aol.example", 6],
];

/** Region, city (district) and the first digits of their postal codes, by rough share of customers. */
export const koreanPlaces: readonly Weighted<readonly [string, string, string]>[] = [
  [["서울특별시", "강남구", "06"], 9],
  [["서울특별시", "송파구", "05"], 7],
  [["서울특별시", "마포구", "04"], 5],
  [["서울특별시", "관악구", "08"], 4],
  [["서울특별시", "노원구", "01"], 4],
  [["서울특별시", "영등포구", "07"], 4],
  [["경기도", "수원시", "16"], 6],
  [["경기도", "성남시", "13"], 6],
  [["경기도", "고양시", "10"], 5],
  [["경기도", "용인시", "17"], 5],
  [["부산광역시", "해운대구", "48"], 5],
  [["인천광역시", "연수구", "21"], 4],
  [["대구광역시", "수성구", "42"], 4],
  [["대전광역시", "유성구", "34"], 3],
  [["광주광역시", "서구", "61"], 3],
  [["울산광역시", "남구", "44"], 2],
  [["경상남도", "창원시", "51"], 2],
  [["충청북도", "청주시", "28"], 2],
  [["전북특별자치도", "전주시", "54"], 2],
  [["제주특별자치도", "제주시", "63"], 1],
];

export const koreanStreets: readonly Weighted<string>[] =
  "테헤란로 올림픽로 월드컵북로 세종대로 강남대로 중앙로 해운대로 광교로 판교역로 백범로 도산대로 봉은사로"
    .split(" ")
    .map((street) => [street, 1] as const);

export const usPlaces: readonly Weighted<readonly [string, string, string]>[] = [
  [["NY", "New York", "100"], 9],
  [["CA", "Los Angeles", "900"], 8],
  [["CA", "San Francisco", "941"], 5],
  [["TX", "Houston", "770"], 5],
  [["TX", "Austin", "787"], 4],
  [["IL", "Chicago", "606"], 6],
  [["WA", "Seattle", "981"], 4],
  [["MA", "Boston", "021"], 4],
  [["FL", "Miami", "331"], 4],
  [["GA", "Atlanta", "303"], 4],
  [["CO", "Denver", "802"], 3],
  [["AZ", "Phoenix", "850"], 3],
  [["PA", "Philadelphia", "191"], 3],
  [["OR", "Portland", "972"], 2],
  [["NJ", "Newark", "071"], 2],
  [["MN", "Minneapolis", "554"], 2],
  [["NC", "Charlotte", "282"], 2],
  [["MI", "Detroit", "482"], 2],
  [["TN", "Nashville", "372"], 2],
  [["NV", "Las Vegas", "891"], 2],
];

export const usStreets: readonly Weighted<string>[] =
  "Main St|Oak Ave|Maple St|Cedar Ln|Pine St|Elm St|Washington Ave|Lake Dr|Park Ave|Hill Rd|Sunset Blvd|River Rd"
    .split("|")
    .map((street) => [street, 1] as const);

/** Payment methods as the platforms name them, by market locale. */
export const koreanPaymentMethods: readonly Weighted<string>[] = [
  ["card", 55],
  ["kakaopay", 18],
  ["naverpay", 15],
  ["virtual_account", 8],
  ["bank_transfer", 4],
];

export const englishPaymentMethods: readonly Weighted<string>[] = [
  ["card", 72],
  ["paypal", 14],
  ["shop_pay", 9],
  ["apple_pay", 5],
];

/** Share of orders by local hour of day: quiet nights, a lunch bump and an evening peak. */
export const hourWeights: readonly number[] = [
  2.2, 1.4, 0.8, 0.5, 0.4, 0.5, 0.9, 1.6, 2.6, 3.4, 4.0, 4.4, 5.0, 4.8, 4.3, 4.2, 4.3, 4.5, 4.8, 5.4, 6.2,
  6.8, 6.1, 4.0,
];

/** Relative sales by calendar month (January first): a spring bump, a summer lull, the Q4 peak. */
export const monthWeights: readonly number[] = [
  0.86, 0.8, 0.96, 1.0, 1.05, 0.95, 0.9, 0.9, 1.0, 1.08, 1.45, 1.32,
];

/** Relative sales by weekday (Sunday first). */
export const weekdayWeights: readonly number[] = [1.1, 1.12, 1.02, 1.0, 0.96, 0.86, 0.94];

/** Sales grow over the range: the last day weighs this much more than the first. */
export const growthOverRange = 0.6;

/** Currencies the seed can price in: minor units per US cent of list price (KRW has its own list prices). */
export const priceFactors: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  CAD: 1.36,
  AUD: 1.52,
  JPY: 1.5,
  KRW: 13.5,
};

/** Flat shipping and the order amount from which it is free, in minor units per currency (×priceFactor for others). */
export const shippingByCurrency: Readonly<Record<string, { fee: number; freeFrom: number }>> = {
  KRW: { fee: 3000, freeFrom: 50000 },
  USD: { fee: 599, freeFrom: 5000 },
};

/** Sales tax added on top of US-style prices (percent); Korean prices include VAT, so no tax line. */
export const taxPercentByCurrency: Readonly<Record<string, number>> = { USD: 7, CAD: 13, KRW: 0 };

export interface CatalogProduct {
  sku: string;
  name: string;
  /** List price in KRW (won) and in US cents. */
  krw: number;
  usd: number;
  /** Relative popularity. */
  weight: number;
  /** A subscription plan for it: billed every `count` `interval`s at 90% of list price. */
  plan?: { interval: "week" | "month"; count: number };
}

/** The demo brands' catalogs (the demo seed's one product per brand comes first, by the same sku). */
export const catalogs: Readonly<Record<string, readonly CatalogProduct[]>> = {
  "acme-skincare": [
    {
      sku: "SERUM-30",
      name: "Hydra serum 30 ml",
      krw: 38000,
      usd: 3200,
      weight: 10,
      plan: { interval: "month", count: 2 },
    },
    { sku: "TONER-150", name: "Hydra toner 150 ml", krw: 24000, usd: 2000, weight: 7 },
    {
      sku: "CREAM-50",
      name: "Barrier cream 50 ml",
      krw: 42000,
      usd: 3600,
      weight: 6,
      plan: { interval: "month", count: 2 },
    },
    { sku: "SUN-50", name: "Daily sunscreen SPF50", krw: 22000, usd: 1900, weight: 6 },
    { sku: "CLEANSER-120", name: "Gentle cleanser 120 ml", krw: 18000, usd: 1500, weight: 5 },
    { sku: "MASK-10", name: "Sheet masks ×10", krw: 15000, usd: 1300, weight: 4 },
    { sku: "EYE-15", name: "Eye cream 15 ml", krw: 35000, usd: 3000, weight: 3 },
    { sku: "KIT-TRIAL", name: "Trial kit", krw: 12000, usd: 1000, weight: 3 },
  ],
  "northwind-coffee": [
    {
      sku: "BEANS-1KG",
      name: "Espresso beans 1 kg",
      krw: 32000,
      usd: 2800,
      weight: 10,
      plan: { interval: "month", count: 1 },
    },
    {
      sku: "BEANS-250",
      name: "House blend 250 g",
      krw: 12000,
      usd: 1100,
      weight: 9,
      plan: { interval: "week", count: 2 },
    },
    { sku: "DECAF-250", name: "Decaf 250 g", krw: 13000, usd: 1200, weight: 4 },
    { sku: "DRIP-10", name: "Drip bags ×10", krw: 9000, usd: 900, weight: 6 },
    { sku: "COLDBREW-6", name: "Cold brew ×6", krw: 15000, usd: 1400, weight: 4 },
    { sku: "MUG", name: "Ceramic mug", krw: 18000, usd: 1600, weight: 2 },
    { sku: "GRINDER", name: "Hand grinder", krw: 89000, usd: 7900, weight: 1 },
    { sku: "FILTERS-100", name: "Paper filters ×100", krw: 5000, usd: 450, weight: 3 },
  ],
};

/** A catalog for a brand the demo seed does not know: six generic products, the first one subscribable. */
export function genericCatalog(slug: string): CatalogProduct[] {
  const code =
    slug
      .replace(/[^a-z0-9]/gi, "")
      .slice(0, 8)
      .toUpperCase() || "BRAND";
  return [1, 2, 3, 4, 5, 6].map((n) => ({
    sku: `${code}-P${n}`,
    name: `${slug} product ${n}`,
    krw: 10000 * n + 5000,
    usd: 900 * n + 400,
    weight: 7 - n,
    ...(n === 1 ? { plan: { interval: "month" as const, count: 1 } } : {}),
  }));
}

export interface Influencer {
  /** Display name; `handle` is also their referral code (the `ref` of their links). */
  name: string;
  handle: string;
  /** utm_source of their links. */
  source: "instagram" | "youtube" | "tiktok";
  coupon: string;
  percent: number;
}

export const influencers: Readonly<Record<string, readonly Influencer[]>> = {
  "acme-skincare": [
    { name: "Minji Park", handle: "minji.glow", source: "instagram", coupon: "MINJI10", percent: 10 },
    { name: "Jay Lee", handle: "skinbyjay", source: "youtube", coupon: "JAY15", percent: 15 },
    { name: "Hana Choi", handle: "dewy.hana", source: "instagram", coupon: "HANA10", percent: 10 },
    { name: "Sam Rivera", handle: "glowwithsam", source: "tiktok", coupon: "SAM15", percent: 15 },
    { name: "Sora Kim", handle: "beautybysora", source: "youtube", coupon: "SORA10", percent: 10 },
  ],
  "northwind-coffee": [
    { name: "Daniel Kim", handle: "brewmaster.kim", source: "youtube", coupon: "BREW10", percent: 10 },
    { name: "Leo Martin", handle: "coffeewithleo", source: "instagram", coupon: "LEO15", percent: 15 },
    { name: "Yuna Jung", handle: "latteart.yuna", source: "instagram", coupon: "YUNA10", percent: 10 },
    { name: "Chris Hunter", handle: "beanhunter", source: "tiktok", coupon: "HUNTER10", percent: 10 },
    { name: "Emma Pour", handle: "morningpour", source: "youtube", coupon: "POUR15", percent: 15 },
  ],
};

export function genericInfluencers(slug: string): Influencer[] {
  const code =
    slug
      .replace(/[^a-z0-9]/gi, "")
      .slice(0, 6)
      .toUpperCase() || "BRAND";
  return (["instagram", "youtube", "tiktok", "instagram", "youtube"] as const).map((source, index) => ({
    name: `${slug} creator ${index + 1}`,
    handle: `${slug}.creator${index + 1}`,
    source,
    coupon: `${code}C${index + 1}`,
    percent: index % 2 === 0 ? 10 : 15,
  }));
}

/** Brand-wide coupons (besides the influencers' own) and their percent off. */
export const brandCoupons: readonly { code: string; percent: number }[] = [
  { code: "WELCOME10", percent: 10 },
  { code: "FRIEND10", percent: 10 },
  { code: "SPRING10", percent: 10 },
  { code: "BLACKFRIDAY20", percent: 20 },
  { code: "HOLIDAY15", percent: 15 },
  { code: "VIP15", percent: 15 },
];

/**
 * How an account's first order was acquired, with its share of accounts. `organic` and `direct` are what
 * acquisition classification will call organic; `influencer` and `referral` carry a handle or code.
 */
export const channels: readonly Weighted<
  "direct" | "organic" | "paid_search" | "paid_social" | "influencer" | "email" | "referral"
>[] = [
  ["direct", 17],
  ["organic", 18],
  ["paid_search", 14],
  ["paid_social", 13],
  ["influencer", 22],
  ["email", 8],
  ["referral", 8],
];

/**
 * The acquisition rules the seed gives a brand that has none (README, "Acquisition source"): an influencer's
 * coupon on any order first, then an influencer's referral code in the first touch's `ref` or `referral`.
 * Influencer links carry the handle as `ref` (and usually the coupon), so these find the influencer-driven
 * share of `channels`; a customer's friend code (`FRIEND-…`) is nobody's and stays organic.
 */
export const defaultAcquisitionRules: readonly (
  | { type: "influencer_coupon"; priority: number }
  | { type: "referral_code"; priority: number; paramNames: readonly string[] }
)[] = [
  { type: "influencer_coupon", priority: 10 },
  { type: "referral_code", priority: 20, paramNames: ["ref", "referral"] },
];

/**
 * Consent channels a market's sign-up form asks for, and the share who grant each (the rest decline,
 * reported as `withdrawn`). KakaoTalk and the night-time advertising opt-in are Korean; elsewhere the form
 * asks for email and SMS only.
 */
export const consentGrantShares: Readonly<Record<"ko" | "en", readonly (readonly [string, number])[]>> = {
  ko: [
    ["email", 0.72],
    ["sms", 0.61],
    ["kakao", 0.55],
    ["night_ads", 0.23],
  ],
  en: [
    ["email", 0.68],
    ["sms", 0.34],
  ],
};

/** Share of accounts that later flip one channel (unsubscribe, or opt in at checkout), and that flip back. */
export const consentChangeShare = 0.22;
export const consentRevertShare = 0.35;

/** Parcel carriers by market locale, with their tracking number prefixes. */
export const carriers: Readonly<Record<"ko" | "en", readonly (readonly [string, string])[]>> = {
  ko: [
    ["cj_logistics", "6"],
    ["hanjin", "5"],
    ["lotte", "2"],
    ["korea_post", "1"],
  ],
  en: [
    ["ups", "1Z"],
    ["usps", "94"],
    ["fedex", "7"],
  ],
};

/**
 * Share of store orders whose cart was abandoned first (recovered by the order), and the scale of the carts an
 * account leaves for good: ⌊Exp(1) × scale⌋, at most 3 (about 0.7 per account).
 */
export const recoveredCartShare = 0.12;
export const lostCartScale = 1.2;
