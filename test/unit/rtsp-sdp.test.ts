import { describe, expect, it } from 'vitest';
import { h264SpsSize, parseSdp, resolveControl, stripUserinfo } from '../../src/rtsp/sdp.js';

// SPS NAL units produced with ffmpeg/libx264 for these tests.
const SPS_640x360_BASELINE = 'Z0LAHtkAoC/5cBEAAAMAAQAAAwAyjxYuSA==';
const SPS_1920x1080_HIGH = 'Z2QAKKzZQHgCJ+XARAAAAwAEAAADAMg8YMZY';
const SPS_720x576_INTERLACED = 'Z2QAHqzZQLQk2AiAAAADAIAAABkPihTL';

const lines = (...l: string[]) => `${l.join('\r\n')}\r\n`;

describe('parseSdp', () => {
  it('reads the light responder’s description, size from the SPS', () => {
    const sdp = lines(
      'v=0',
      'o=- 123 1 IN IP4 127.0.0.1',
      's=Xueliang simulated camera',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'a=control:*',
      'a=range:npt=0-',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      `a=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=${SPS_640x360_BASELINE},aM48gA==`,
      'a=framerate:25',
      'a=control:trackID=0',
    );
    expect(parseSdp(sdp)).toEqual({
      codec: 'H264',
      encoding: 'H264',
      payloadType: 96,
      clockRate: 90_000,
      control: 'trackID=0',
      sessionControl: '*',
      width: 640,
      height: 360,
      profileLevelId: '42c01e',
      framerate: 25,
    });
  });

  it('takes the first video section after audio, with an absolute control URL and LF line ends', () => {
    const sdp = [
      'v=0',
      's=Session streamed with GStreamer',
      't=0 0',
      'm=audio 0 RTP/AVP 0',
      'a=control:rtsp://10.0.0.5/live/audio',
      'a=rtpmap:96 H265/90000',
      'm=video 0 RTP/AVP 97',
      'a=rtpmap:97 H264/90000',
      'a=fmtp:96 profile-level-id=640028',
      `a=fmtp:97 packetization-mode=1; sprop-parameter-sets=${SPS_1920x1080_HIGH},aOvjyyLA`,
      'a=control:rtsp://10.0.0.5/live/video',
      'm=video 0 RTP/AVP 98',
      'a=rtpmap:98 H265/90000',
      '',
    ].join('\n');
    const video = parseSdp(sdp);
    expect(video).toMatchObject({
      codec: 'H264',
      payloadType: 97,
      control: 'rtsp://10.0.0.5/live/video',
      sessionControl: null,
      width: 1920,
      height: 1080,
      // not given in the fmtp of payload type 97: taken from the SPS
      profileLevelId: '640028',
    });
  });

  it('reads H.265 with a=framesize, and a=x-dimensions', () => {
    const h265 = parseSdp(
      lines(
        'v=0',
        'm=video 0 RTP/AVP 96',
        'a=rtpmap:96 H265/90000',
        'a=fmtp:96 profile-id=1;sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwB4mZgJ',
        'a=framesize:96 2560-1440',
        'a=control:trackID=1',
      ),
    );
    expect(h265).toMatchObject({ codec: 'H265', encoding: 'H265', width: 2560, height: 1440 });
    expect(h265?.profileLevelId).toBeNull();

    const dims = parseSdp(
      lines('v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 h264/90000', 'a=x-dimensions:704,576'),
    );
    expect(dims).toMatchObject({ codec: 'H264', width: 704, height: 576, control: null });
  });

  it('knows static payload types and reports other codecs as such', () => {
    expect(parseSdp(lines('v=0', 'm=video 0 RTP/AVP 26', 'a=control:track1'))).toMatchObject({
      codec: 'other',
      encoding: 'JPEG',
      payloadType: 26,
      clockRate: 90_000,
      control: 'track1',
    });
    expect(parseSdp(lines('v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 MP4V-ES/90000'))).toMatchObject({
      codec: 'other',
      encoding: 'MP4V-ES',
    });
    const unknown = parseSdp(lines('v=0', 'm=video 0 RTP/AVP 100'));
    expect(unknown).toMatchObject({ codec: 'other', encoding: '', clockRate: null });
  });

  it('gives null without a video section, and survives junk', () => {
    expect(parseSdp('')).toBeNull();
    expect(parseSdp('<html>404</html>')).toBeNull();
    expect(parseSdp(lines('v=0', 'm=audio 0 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'))).toBeNull();
    expect(parseSdp(lines('v=0', 'm=video 0 RTP/AVP'))).toBeNull();
    expect(parseSdp(lines('v=0', 'm=video 0 RTP/AVP abc'))).toBeNull();
    const junk = parseSdp(
      lines('m=video 0 RTP/AVP 96', 'a=rtpmap:96', 'a=fmtp:96 sprop-parameter-sets=!!!,', 'x', '=', 'a='),
    );
    expect(junk).toMatchObject({ codec: 'other', width: null, height: null, profileLevelId: null });
    const badSps = parseSdp(
      lines('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 sprop-parameter-sets=Z0IA,aM4='),
    );
    expect(badSps).toMatchObject({ codec: 'H264', width: null, height: null, profileLevelId: null });
  });

  it('prefers a given size over the SPS', () => {
    const sdp = lines(
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      `a=fmtp:96 sprop-parameter-sets=${SPS_640x360_BASELINE}`,
      'a=framesize:96 1280-720',
    );
    expect(parseSdp(sdp)).toMatchObject({ width: 1280, height: 720, profileLevelId: '42c01e' });
  });
});

describe('h264SpsSize', () => {
  const size = (b64: string) => h264SpsSize(Buffer.from(b64, 'base64'));

  it('decodes baseline and high profile SPS, cropping and emulation prevention included', () => {
    expect(size(SPS_640x360_BASELINE)).toEqual({ width: 640, height: 360 });
    expect(size(SPS_1920x1080_HIGH)).toEqual({ width: 1920, height: 1080 });
  });

  it('decodes an interlaced (field) SPS', () => {
    expect(size(SPS_720x576_INTERLACED)).toEqual({ width: 720, height: 576 });
  });

  it('gives null for what is not a whole SPS', () => {
    expect(size('')).toBeNull();
    expect(size('aM48gA==')).toBeNull(); // a PPS
    expect(size('Z0IA')).toBeNull();
    expect(h264SpsSize(Buffer.from(SPS_1920x1080_HIGH, 'base64').subarray(0, 8))).toBeNull();
  });
});

describe('control URLs', () => {
  it('resolves a=control against the base as RTSP clients do', () => {
    const base = 'rtsp://10.1.2.3:554/cam/1/main/';
    expect(resolveControl(base, 'trackID=0')).toBe('rtsp://10.1.2.3:554/cam/1/main/trackID=0');
    expect(resolveControl('rtsp://10.1.2.3/live', 'stream=0')).toBe('rtsp://10.1.2.3/live/stream=0');
    expect(resolveControl(base, '*')).toBe(base);
    expect(resolveControl(base, null)).toBe(base);
    expect(resolveControl(base, '')).toBe(base);
    expect(resolveControl(base, '/other/track1')).toBe('rtsp://10.1.2.3:554/other/track1');
    expect(resolveControl(base, 'RTSP://10.9.9.9/x/track1')).toBe('RTSP://10.9.9.9/x/track1');
    expect(resolveControl(base, 'rtsp://u:p@10.9.9.9/x')).toBe('rtsp://10.9.9.9/x');
    const sdp = parseSdp(
      'a=control:rtsp://u:secret@h/s\nm=video 0 RTP/AVP 96\na=control:rtsp://u:secret@h/s/t1\n',
    );
    expect(sdp).toMatchObject({ sessionControl: 'rtsp://h/s', control: 'rtsp://h/s/t1' });
  });

  it('strips userinfo and nothing else', () => {
    expect(stripUserinfo('rtsp://admin:p%40ss@10.0.0.1:554/a@b')).toBe('rtsp://10.0.0.1:554/a@b');
    expect(stripUserinfo('rtsp://10.0.0.1/a@b')).toBe('rtsp://10.0.0.1/a@b');
    expect(stripUserinfo('rtsp://u@h')).toBe('rtsp://h');
    expect(stripUserinfo('not a url')).toBe('not a url');
  });
});
