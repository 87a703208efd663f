import type { Role } from '../auth/policy.js';

/**
 * Reference lists for the Pengyang seed: the towns and townships of the county plan, and the syllables
 * and names the generator draws village, site, person and equipment names from, and the fixed facts of
 * the data set (demo log-ins, the deliberate staffing gaps).
 */

export interface TownDef {
  name: string;
  pinyin: string;
  kind: 'town' | 'township';
  code: string;
  lat: number;
  lon: number;
  /** 警务区 in this town/township: 3 for a 建制镇, 2 for a 建制乡. */
  policeDistricts: number;
}

/** 彭阳县 (Guyuan, Ningxia): 4 建制镇 and 8 建制乡. Codes follow GB/T 10114 (1xx town, 2xx township). */
export const COUNTY = { name: '彭阳县', code: '640425', lat: 35.85, lon: 106.64 } as const;

const TOWN_ROWS: readonly [string, string, TownDef['kind'], string, number, number][] = [
  ['白阳镇', 'Baiyang', 'town', '640425100', 35.85, 106.64],
  ['王洼镇', 'Wangwa', 'town', '640425101', 36.12, 106.58],
  ['古城镇', 'Gucheng', 'town', '640425102', 35.79, 106.42],
  ['红河镇', 'Honghe', 'town', '640425103', 35.7, 106.78],
  ['新集乡', 'Xinji', 'township', '640425200', 35.93, 106.47],
  ['城阳乡', 'Chengyang', 'township', '640425201', 35.78, 106.74],
  ['孟塬乡', 'Mengyuan', 'township', '640425202', 35.93, 106.86],
  ['罗洼乡', 'Luowa', 'township', '640425203', 36.05, 106.47],
  ['交岔乡', 'Jiaocha', 'township', '640425204', 35.68, 106.55],
  ['草庙乡', 'Caomiao', 'township', '640425205', 35.88, 106.77],
  ['冯庄乡', 'Fengzhuang', 'township', '640425206', 36.18, 106.45],
  ['小岔乡', 'Xiaocha', 'township', '640425207', 36.06, 106.76],
];

export const TOWNS: readonly TownDef[] = TOWN_ROWS.map(([name, pinyin, kind, code, lat, lon]) => ({
  name,
  pinyin,
  kind,
  code,
  lat,
  lon,
  policeDistricts: kind === 'town' ? 3 : 2,
}));

export const ORDINALS = ['第一', '第二', '第三'] as const;

/** Communities of the county seat (白阳镇第一警务区). */
export const COMMUNITY_NAMES = [
  '东城社区',
  '西城社区',
  '南山社区',
  '北街社区',
  '茹河社区',
  '友谊社区',
  '长城社区',
];

export const VILLAGE_PREFIXES = [
  '',
  '',
  '',
  '上',
  '下',
  '大',
  '小',
  '新',
  '东',
  '西',
  '南',
  '北',
  '前',
  '后',
];
export const VILLAGE_FIRST = Array.from(
  '杨王李张马刘白高黄石红罗孟冯韩姚陈曹周吴何朱赵米岳麻柳沙杏崖虎乔任秦',
);
export const VILLAGE_SECOND = Array.from('坪洼塬湾岔庄沟台川峁渠堡岭山寨口咀畔');

export const VILLAGE_SITES = [
  '村委会',
  '十字路口',
  '小学门口',
  '集市',
  '卫生室',
  '桥头',
  '主干道路口',
  '文化广场',
];
export const COMMUNITY_SITES = [
  '社区服务中心',
  '小区大门',
  '农贸市场',
  '学校门口',
  '广场',
  '商业街口',
  '公交站',
];

// Surnames common in Guyuan (Han and Hui), repeated to weight the commonest.
export const SURNAMES = Array.from(
  '王王李李张张马马马刘刘杨杨海田何虎韩罗赵陈周冯孟姚白苏祁郭吴丁穆黑兰沙高',
);
export const GIVEN = Array.from('文军平霞丽强勇涛芳娟明华建国志宏学成海燕红玲鹏飞斌刚伟磊晶静春秀兰英福贵');

export const VENDORS: readonly { vendor: string; weight: number; models: readonly string[] }[] = [
  { vendor: 'hikvision', weight: 40, models: ['DS-2CD3T47WDV3-L', 'DS-2CD2T47G2-L', 'DS-2DE4425IW-DE'] },
  { vendor: 'dahua', weight: 30, models: ['DH-IPC-HFW2433M-I1', 'DH-IPC-HFW3441E-AS', 'DH-SD49425XB-HNR'] },
  { vendor: 'uniview', weight: 10, models: ['IPC2124LB-SF40KM-G', 'IPC6622SR-X33-VF'] },
  { vendor: 'tiandy', weight: 8, models: ['TC-C34WS', 'TC-H324S'] },
  { vendor: 'axis', weight: 4, models: ['P1455-LE', 'Q6135-LE'] },
  { vendor: 'generic-onvif', weight: 5, models: ['IPC-4MP-ONVIF'] },
  { vendor: 'generic-rtsp', weight: 3, models: ['NVR-CH-1080P'] },
];

/** Main and sub stream paths per vendor (no credentials in the URL: they live in the vault). */
export const RTSP_PATHS: Record<string, readonly [string, string]> = {
  hikvision: ['/Streaming/Channels/101', '/Streaming/Channels/102'],
  dahua: ['/cam/realmonitor?channel=1&subtype=0', '/cam/realmonitor?channel=1&subtype=1'],
  uniview: ['/media/video1', '/media/video2'],
  tiandy: ['/1/1', '/1/2'],
  axis: ['/axis-media/media.amp?videocodec=h264', '/axis-media/media.amp?videocodec=h264&resolution=640x360'],
  'generic-onvif': ['/stream1', '/stream2'],
  'generic-rtsp': ['/live/ch1/main', '/live/ch1/sub'],
};

export const CONTRACTORS = [
  { key: 'tianwang', name: '固原天网安防工程有限公司', contactName: '马建军', phone: '0954-2031688' },
  { key: 'liupan', name: '宁夏六盘通信技术有限公司', contactName: '李文华', phone: '0951-6027315' },
  { key: 'chengxiang', name: '彭阳县城乡监控运维服务部', contactName: '杨志强', phone: '0954-7012239' },
] as const;

export const DEMO_PASSWORD = 'xueliang-demo-2026';
export const POLICE_ASSISTANTS = 156;
export const OVER_AGE_ASSISTANTS = 4;
/** Two deliberate staffing gaps so the staffing report has something to show. */
export const STAFFING_GAP_DISTRICTS = {
  noAuxiliaries: '640425207-PD2', // 小岔乡第二警务区: an officer without auxiliary police
  threeAuxiliaries: '640425100-PD2', // 白阳镇第二警务区: one auxiliary too many
} as const;
/** The 3 community police offices that existed before the 2018 build-out, with their year. */
export const EARLY_OFFICES: Record<string, number> = {
  '640425100-PD1': 2009,
  '640425101-PD1': 2013,
  '640425102-PD1': 2016,
};

export interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  /** district code of a duty user's scope */
  scopeCode: string | null;
  /** key of a contractor user's company */
  contractorKey: string | null;
}

const demo = (
  username: string,
  role: Role,
  displayName: string,
  scopeCode: string | null = null,
  contractorKey: string | null = null,
): DemoUser => ({ username, displayName, role, scopeCode, contractorKey });

/** The demo log-ins; every one has the password DEMO_PASSWORD. */
export const DEMO_USERS: readonly DemoUser[] = [
  demo('admin', 'admin', '系统管理员'),
  demo('bureau', 'bureau', '县公安局指挥中心'),
  demo('duty-baiyang-1', 'duty', '白阳镇第一警务区值班员', '640425100-PD1'),
  demo('duty-wangwa', 'duty', '王洼派出所值班员', '640425101'), // a police station sees its whole town
  demo('contractor-tianwang', 'contractor', '天网安防运维', null, 'tianwang'),
];
