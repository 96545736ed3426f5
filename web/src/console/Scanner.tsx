// Scanning a coupon's QR code with the device's camera, where the browser has BarcodeDetector (Chrome on
// Android, Safari 17+, Edge). Frames stay in the browser; the code read goes to the field, nowhere else.
import { useEffect, useRef, useState } from "react";
import { addMessages, useLocale } from "../lib/i18n";

addMessages({
  en: {
    "console.scanner.video": "Camera view: hold the coupon's QR code in front of the camera",
    "console.scanner.stop": "Stop scanning",
    "console.scanner.looking": "Looking for a QR code…",
    "console.scanner.denied": "The camera could not be used ({reason}). Type the code instead.",
  },
  "zh-CN": {
    "console.scanner.video": "摄像头画面：请将优惠券二维码对准摄像头",
    "console.scanner.stop": "停止扫码",
    "console.scanner.looking": "正在识别二维码…",
    "console.scanner.denied": "无法使用摄像头（{reason}），请手动输入券码。",
  },
});

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type DetectorClass = new (options: { formats: string[] }) => BarcodeDetectorLike;

function detectorClass(): DetectorClass | undefined {
  return (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
}

/** Whether this browser can scan (BarcodeDetector and a camera API). */
export function canScan(): boolean {
  return Boolean(detectorClass() && navigator.mediaDevices?.getUserMedia);
}

export function Scanner({ onCode, onClose }: { onCode: (code: string) => void; onClose: () => void }) {
  const { t } = useLocale();
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    const Detector = detectorClass();
    if (!Detector) return;
    const detector = new Detector({ formats: ["qr_code"] });
    let stream: MediaStream | undefined;
    let timer: number | undefined;
    let live = true;
    const look = async () => {
      const element = video.current;
      if (!live || !element) return;
      try {
        const found = element.readyState >= 2 ? await detector.detect(element) : [];
        const value = found.find((b) => b.rawValue.trim())?.rawValue.trim();
        if (value && live) {
          onCode(value);
          return;
        }
      } catch {
        // a frame that could not be read: try the next one
      }
      timer = window.setTimeout(look, 250);
    };
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(
      (media) => {
        if (!live) return media.getTracks().forEach((track) => track.stop());
        stream = media;
        if (video.current) {
          video.current.srcObject = media;
          void video.current.play();
        }
        void look();
      },
      (error: unknown) => live && setProblem(error instanceof Error ? error.name : String(error)),
    );
    return () => {
      live = false;
      window.clearTimeout(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [onCode]);
  return (
    <div className="scanner">
      {problem ? (
        <p role="alert">{t("console.scanner.denied", { reason: problem })}</p>
      ) : (
        <>
          <video ref={video} muted playsInline aria-label={t("console.scanner.video")} />
          <p role="status">{t("console.scanner.looking")}</p>
        </>
      )}
      <button type="button" onClick={onClose}>
        {t("console.scanner.stop")}
      </button>
    </div>
  );
}
