import { isbot } from "isbot";
import { describe, expect, it } from "vitest";
import {
  crawlerSignals,
  dataCentreAsns,
  detectCrawler,
  isAllowedBrowser,
} from "../../domain/capture/crawler.ts";

const ua = (userAgent: string) => ({ userAgent, botScore: null, verifiedBot: false, asn: null });

const searchEngines: Record<string, string> = {
  Googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Googlebot smartphone":
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  Bingbot: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "Yeti (Naver)": "Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)",
  Daum: "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966)",
  Baiduspider: "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
  YandexBot: "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
};

const linkPreviewers: Record<string, string> = {
  facebookexternalhit: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  Twitterbot: "Twitterbot/1.0",
  Slackbot: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  Discordbot: "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
  "kakaotalk-scrap": "facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/public/link",
  WhatsApp: "WhatsApp/2.23.20.0 A",
  TelegramBot: "TelegramBot (like TwitterBot)",
  LinkedInBot: "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
};

const headlessBrowsers: Record<string, string> = {
  HeadlessChrome:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
  PhantomJS:
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
};

const httpLibraries: Record<string, string> = {
  curl: "curl/8.4.0",
  Wget: "Wget/1.21.4",
  "python-requests": "python-requests/2.31.0",
  "Go-http-client": "Go-http-client/2.0",
  axios: "axios/1.6.2",
  "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
  okhttp: "okhttp/4.12.0",
  Java: "Java/17.0.9",
};

const realBrowsers: Record<string, string> = {
  "KakaoTalk iOS":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.4.5",
  "KakaoTalk Android":
    "Mozilla/5.0 (Linux; Android 13; SM-S911N Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 KAKAOTALK/10.4.3 (INAPP)",
  "Naver app iOS":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 NAVER(inapp; search; 2000; 12.1.2; 15PRO)",
  "Naver app Android":
    "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 NAVER(inapp; search; 2000; 12.2.4)",
  Instagram:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.1.1.28.108 (iPhone15,3; iOS 17_1_2; ko_KR; ko; scale=3.00; 1290x2796; 541635890)",
  "Facebook iOS":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.40.112;FBBV/543547945;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/ko_KR;FBOP/5;FBRV/545025063]",
  "Facebook Android":
    "Mozilla/5.0 (Linux; Android 13; SM-G991N Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/441.0.0.33.113;]",
  Line: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.20.0",
  "Samsung Internet":
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
  WeChat:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2d) NetType/WIFI Language/zh_CN",
  "Safari iPhone":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Chrome Android":
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
  "Firefox Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
  "Edge macOS":
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
  "Naver Whale":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Whale/3.23.214.10 Safari/537.36",
};

describe("detectCrawler by user agent", () => {
  for (const [group, agents] of Object.entries({
    searchEngines,
    linkPreviewers,
    headlessBrowsers,
    httpLibraries,
  })) {
    for (const [name, userAgent] of Object.entries(agents)) {
      it(`${group}: ${name} is a bot`, () => {
        const verdict = detectCrawler(ua(userAgent));
        expect(verdict.isBot).toBe(true);
        expect(verdict.reason).toBe("user_agent");
      });
    }
  }

  for (const [name, userAgent] of Object.entries(realBrowsers)) {
    it(`${name} is a person`, () => {
      expect(detectCrawler(ua(userAgent))).toEqual({ isBot: false, reason: null, detail: null });
    });
  }

  it("names the product token that matched", () => {
    expect(detectCrawler(ua(searchEngines.Googlebot ?? "")).detail).toBe("Googlebot/2.1");
    expect(detectCrawler(ua("curl/8.4.0")).detail).toBe("curl/8.4.0");
  });

  it("treats a missing or blank user agent as a script", () => {
    expect(detectCrawler({ userAgent: null, botScore: null, verifiedBot: false, asn: null })).toEqual({
      isBot: true,
      reason: "user_agent",
      detail: "no user agent",
    });
    expect(detectCrawler(ua("   ")).reason).toBe("user_agent");
  });
});

describe("in-app allow rule", () => {
  // isbot flags this Naver in-app user agent for its generic "HTTP" token alone.
  const flaggedInApp =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 NAVER(inapp; search; 1000; 11.9.0; 12PRO) Naver-HTTP-Client";

  it("overrides isbot for an in-app browser that matched only a generic token", () => {
    expect(isbot(flaggedInApp)).toBe(true);
    expect(isAllowedBrowser(flaggedInApp)).toBe(true);
    expect(detectCrawler(ua(flaggedInApp)).isBot).toBe(false);
  });

  it("does not rescue an in-app marker next to an automation word", () => {
    const preview = `${realBrowsers["KakaoTalk Android"]} KakaoTalk-Scrap-Preview`;
    expect(isAllowedBrowser(preview)).toBe(false);
    expect(detectCrawler(ua(preview)).isBot).toBe(true);
    const crawler = `${realBrowsers["Naver app Android"]} CrawlerTest`;
    expect(detectCrawler(ua(crawler)).isBot).toBe(true);
  });

  it("never matches the lower-case kakaotalk-scrap previewer", () => {
    expect(isAllowedBrowser(linkPreviewers["kakaotalk-scrap"] ?? "")).toBe(false);
  });

  it("needs a real browser engine next to the marker", () => {
    expect(isAllowedBrowser("KAKAOTALK 10.4.5")).toBe(false);
  });
});

describe("detectCrawler by Cloudflare signals and network", () => {
  const person = realBrowsers["Safari iPhone"] ?? "";

  it("flags a verified bot", () => {
    expect(detectCrawler({ userAgent: person, botScore: 90, verifiedBot: true, asn: null })).toEqual({
      isBot: true,
      reason: "verified_bot",
      detail: "cloudflare verified bot",
    });
  });

  it("flags bot scores 1–29 and ignores 0 (not scored) and 30+", () => {
    expect(detectCrawler({ userAgent: person, botScore: 29, verifiedBot: false, asn: null })).toEqual({
      isBot: true,
      reason: "bot_score",
      detail: "bot score 29",
    });
    expect(detectCrawler({ userAgent: person, botScore: 1, verifiedBot: false, asn: null }).isBot).toBe(true);
    expect(detectCrawler({ userAgent: person, botScore: 30, verifiedBot: false, asn: null }).isBot).toBe(
      false,
    );
    expect(detectCrawler({ userAgent: person, botScore: 0, verifiedBot: false, asn: null }).isBot).toBe(
      false,
    );
  });

  it("flags data-centre networks by ASN, with the network's name", () => {
    expect(detectCrawler({ userAgent: person, botScore: null, verifiedBot: false, asn: 16509 })).toEqual({
      isBot: true,
      reason: "asn",
      detail: "AS16509 Amazon Web Services",
    });
    for (const asn of [14618, 15169, 396982, 8075, 14061, 16276, 24940, 63949, 45102, 31898, 132203]) {
      expect(dataCentreAsns.has(asn)).toBe(true);
      expect(detectCrawler({ userAgent: person, botScore: null, verifiedBot: false, asn }).reason).toBe(
        "asn",
      );
    }
  });

  it("lets consumer networks through (SK Broadband, KT, Cloudflare WARP)", () => {
    for (const asn of [9318, 4766, 13335]) {
      expect(detectCrawler({ userAgent: person, botScore: null, verifiedBot: false, asn }).isBot).toBe(false);
    }
  });

  it("reads the signals from the recorded headers and request.cf", () => {
    expect(
      crawlerSignals(
        { "user-agent": "curl/8.4.0" },
        { asn: 24940, botManagement: { score: 12, verifiedBot: false } },
      ),
    ).toEqual({ userAgent: "curl/8.4.0", botScore: 12, verifiedBot: false, asn: 24940 });
    expect(crawlerSignals({ "User-Agent": "x" }, null)).toEqual({
      userAgent: "x",
      botScore: null,
      verifiedBot: false,
      asn: null,
    });
  });
});
